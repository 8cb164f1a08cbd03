import { SSEError } from '../../../src/errors.ts';

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
