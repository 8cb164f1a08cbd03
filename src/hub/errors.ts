import { SSEError } from '../errors.ts';

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
