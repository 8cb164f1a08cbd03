/**
 * Every error ssekit throws or reports, in one place. Each extends
 * {@link SSEError}, so one `instanceof SSEError` check catches them all, and
 * each message reads "<what>: expected …, got …. <what to do>".
 *
 * Each entry re-exports the errors it can throw: `ssekit` the encoder's and
 * the options' errors, `ssekit/client` the reader's and the options' (with
 * the base class), `ssekit/hub`, `ssekit/redis` and `ssekit/tail` their own.
 *
 * @module
 */

/**
 * The base of every ssekit error.
 *
 * @example
 * ```ts
 * try {
 *   encodeMessage({ event: 'a\nb' });
 * } catch (error) {
 *   if (error instanceof SSEFieldError) console.log(error.field); // 'event'
 * }
 * ```
 */
export class SSEError extends Error {
  override name = 'SSEError';
}

/**
 * A message field that cannot be written without changing the meaning of the
 * stream: an `event` or `id` with a line break, an `id` with NUL, a `retry`
 * that is not a whole number from 0 to 2^31-1. Thrown before any byte of the
 * message is written.
 *
 * @example
 * ```ts
 * encodeMessage({ id: 'a\r\nevent: admin' }); // throws SSEFieldError, field 'id'
 * ```
 */
export class SSEFieldError extends SSEError {
  override name = 'SSEFieldError';
  /** The field that was rejected. */
  declare readonly field: 'event' | 'id' | 'retry' | 'data' | 'comment';
  /** The value that was rejected. */
  declare readonly value: unknown;

  constructor(field: SSEFieldError['field'], value: unknown, message: string) {
    super(message);
    this.field = field;
    this.value = value;
  }
}

/**
 * `data` that is not a string could not be turned into one: it is a Promise,
 * a function or a symbol, or the serializer threw (a cycle, a BigInt, a
 * `toJSON` that throws) or returned something that is not a string.
 *
 * @example
 * ```ts
 * encodeMessage({ data: 10n }); // throws SSESerializeError
 * ```
 */
export class SSESerializeError extends SSEError {
  override name = 'SSESerializeError';
}

/**
 * An option or argument that ssekit cannot work with, found when it is
 * passed, before a stream is created.
 *
 * @example
 * ```ts
 * sseResponse(source, { heartbeat: -1 }); // throws SSEOptionError
 * ```
 */
export class SSEOptionError extends SSEError {
  override name = 'SSEOptionError';
}

/**
 * The event stream broke one of the parser's size limits: a line or an
 * event's data grew past `maxLineLength` or `maxEventLength`, or `data` was
 * not the JSON that `json: true` asked for. The stream ends with this error
 * instead of buffering without bound.
 *
 * @example
 * ```ts
 * try {
 *   for await (const event of connect(url, { maxEventLength: 1 << 20 })) use(event);
 * } catch (error) {
 *   if (error instanceof SSEParseError) console.log(error.reason); // 'event-too-long'
 * }
 * ```
 */
export class SSEParseError extends SSEError {
  override name = 'SSEParseError';
  /** What went wrong. */
  declare readonly reason: 'line-too-long' | 'event-too-long' | 'invalid-json';

  constructor(reason: SSEParseError['reason'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * The server answered with something that is not an event stream: a status
 * other than 200 (204 is not an error: it means "stop"), or a content type
 * other than `text/event-stream`. Nothing was parsed. `response` is the
 * unread response, so its body can still explain what went wrong.
 *
 * @example
 * ```ts
 * try {
 *   for await (const event of connect(url)) use(event);
 * } catch (error) {
 *   if (error instanceof SSEResponseError && error.status === 401) await login();
 * }
 * ```
 */
export class SSEResponseError extends SSEError {
  override name = 'SSEResponseError';
  /** The HTTP status of the response. */
  declare readonly status: number;
  /** The response, body unread. */
  declare readonly response: Response;

  constructor(response: Response) {
    super(
      `${response.url || 'response'}: expected 200 text/event-stream, got ${response.status} ${response.headers.get('content-type')}. Check the URL and the credentials.`,
    );
    this.status = response.status;
    this.response = response;
  }
}

/**
 * Thrown by `publish` after `hub.close()`.
 *
 * @example
 * ```ts
 * await hub.close();
 * hub.publish('news', 'late'); // throws HubClosedError
 * ```
 */
export class HubClosedError extends SSEError {
  override name = 'HubClosedError';
}

/**
 * Told to `onError` when the stream holds an entry this log did not write
 * (an `XADD` by another program on the same key): the entry is skipped, and
 * following goes on.
 *
 * @example
 * ```ts
 * createRedisLog({
 *   client,
 *   onError: (error) => {
 *     if (error instanceof RedisForeignEntryError) metrics.increment('sse.foreign_entry');
 *     else console.error(error);
 *   },
 * });
 * ```
 */
export class RedisForeignEntryError extends SSEError {
  override name = 'RedisForeignEntryError';
  /** The entry's stream id. */
  declare readonly id: string;

  /** @internal */
  constructor(key: string, id: string, fields: unknown) {
    const names = Array.isArray(fields)
      ? fields
          .filter((_, index) => index % 2 === 0)
          .slice(0, 8)
          .map(String)
          .join(', ')
      : typeof fields;
    super(
      `Stream '${key}': expected entries written by ssekit/redis, got entry ${id} (fields: ${names}), skipped. Add to it only through the hub, or give the hub a key of its own.`,
    );
    this.id = id;
  }
}

/**
 * A query parameter that cannot be used as a log filter; `response()` is the
 * 400 to send back, with a message that says what to pass.
 *
 * @example
 * ```ts
 * try {
 *   logFilter(request);
 * } catch (error) {
 *   if (error instanceof LogFilterError) return error.response();
 *   throw error;
 * }
 * ```
 */
export class LogFilterError extends SSEOptionError {
  override name = 'LogFilterError';
  /** The HTTP status for the client: 400. */
  readonly status = 400;

  /** A `400 Bad Request` with the message as plain text. */
  response(): Response {
    return new Response(`${this.message}\n`, {
      status: this.status,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
}
