import { SSEError } from '../errors.ts';

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
  readonly reason: 'line-too-long' | 'event-too-long' | 'invalid-json';

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
  readonly status: number;
  /** The response, body unread. */
  readonly response: Response;

  constructor(response: Response) {
    super(
      `${response.url} answered ${response.status} ${response.headers.get('content-type')}, not 200 text/event-stream. Check the URL and the credentials.`,
    );
    this.status = response.status;
    this.response = response;
  }
}
