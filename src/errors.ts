/**
 * The base of ssekit's one error family, and the errors thrown on every
 * layer: an unusable option (`SSEOptionError`, from the shared checks), a
 * field or data the encoder cannot write. Each extends {@link SSEError}, so
 * one `instanceof SSEError` check catches them all, and each message reads
 * "<what>: expected …, got …. <what to do>". The others are defined beside
 * the code that throws them: `SSEParseError` by the parser (src/wire/),
 * `SSEResponseError` by the reader (src/client/), `HubClosedError` by the
 * hub, `RedisForeignEntryError` and `LogFilterError` in their adapters.
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
