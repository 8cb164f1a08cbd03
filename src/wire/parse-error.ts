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
  declare readonly reason: 'line-too-long' | 'event-too-long' | 'invalid-json';

  constructor(reason: SSEParseError['reason'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}
