/**
 * How the Redis log keeps its stream short: the option, and the trim
 * arguments of each `XADD`.
 *
 * @module
 */
import { need } from '../../../src/checks.ts';

/**
 * How the stream is kept short. `XADD` trims with `~` (approximate, cheap):
 * Redis keeps at least what you ask for, sometimes a little more.
 * - `{ maxLen }`: `MAXLEN ~ n`, the last n entries of all topics.
 * - `{ maxAge }`: `MINID ~ now - maxAge`, the entries of the last maxAge ms
 *   (by the publishing process's clock).
 * - `false`: never trimmed (trim it yourself).
 *
 * @example
 * ```ts
 * createRedisLog({ client, trim: { maxAge: 15 * 60_000 } }); // a 15-minute replay window
 * ```
 */
export type RedisTrim = { maxLen: number } | { maxAge: number } | false;

/** @internal The trim arguments of `XADD`: made on each publish, since `maxAge` depends on the time. */
export function trimArguments(trim: RedisTrim): () => string[] {
  if (trim === false) return () => [];
  if ('maxLen' in trim && Number.isSafeInteger(trim.maxLen) && trim.maxLen > 0) {
    const args = ['MAXLEN', '~', String(trim.maxLen)];
    return () => args;
  }
  if ('maxAge' in trim && Number.isSafeInteger(trim.maxAge) && trim.maxAge > 0) {
    return () => ['MINID', '~', `${Date.now() - trim.maxAge}-0`];
  }
  need(
    false,
    'trim',
    '{ maxLen: n } (MAXLEN ~ n), { maxAge: ms } (MINID ~ now - ms) or false, with a whole number above 0',
    trim,
  );
}
