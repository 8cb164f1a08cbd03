import { SSEError, SSEOptionError } from '../errors.ts';
import { describe } from '../wire/encode.ts';

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

/** @internal Throws an `SSEOptionError` saying what `value` must be, unless `ok`. */
export function _need(ok: unknown, must: string, value: unknown): void {
  if (!ok) throw new SSEOptionError(`${must}, got ${describe(value)}.`);
}

/** @internal */
export const _isCount = (value: unknown): boolean =>
  Number.isSafeInteger(value) && (value as number) > 0;
