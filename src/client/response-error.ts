import { SSEError } from '../errors.ts';

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
