// A log's identity inside its ids: `<epoch>-<n>`, the epoch made when the
// log's storage is, so an id of another log or of an older history is told
// apart from a position in this one (see HubLog's contract in log.ts).

// The counter part of an id as a log writes it: no sign, no leading zero,
// no exponent or hex, and exact as a number.
const COUNTER = /^(?:0|[1-9]\d{0,15})$/;

/**
 * A new epoch for a log's history: 64 random bits from
 * `crypto.getRandomValues`, as 14 characters of 0-9 and a-z. For
 * implementers of `HubLog`: make one when the log's storage is made,
 * keep it with the storage (a row beside the table, a key beside the
 * stream), make a new one when the storage is made again, and write ids as
 * `<epoch>-<n>`; then an id of another log or of an older history is told
 * apart from a position in this one (`counterOf`).
 *
 * Why random: a time would not do (logs made in the same millisecond, or
 * in a workerd isolate whose clock stands at 0 before its first request),
 * nor would `Math.random` (not made to be unguessable; 20 bits of it gave
 * about 7 pairs of like epochs among 5,000 logs made in one millisecond).
 * Call it when the storage is made, not at a module's top level: workerd
 * refuses random values there.
 *
 * @example
 * ```ts
 * import { newEpoch } from 'ssekit/hub';
 *
 * const epoch = newEpoch(); // e.g. '0k3f9x2m1z7abq', saved with the storage
 * const id = `${epoch}-${1}`;
 * ```
 */
export function newEpoch(): string {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return high!.toString(36).padStart(7, '0') + low!.toString(36).padStart(7, '0');
}

/**
 * The counter of `id` when it is `<epoch>-<n>` as a log with this epoch
 * writes it (n a whole number of at most 16 digits, no sign, no leading zero); -1
 * for any other id: another epoch's, a made-up one, or `epoch` undefined (a
 * log that has written nothing yet). For implementers of `HubLog`
 * whose ids are `<epoch>-<n>`: `read` answers `tooOld` for -1, and
 * `compare` subtracts the counters.
 *
 * @example
 * ```ts
 * import { counterOf } from 'ssekit/hub';
 *
 * counterOf('0k3f9x2m1z7abq-42', '0k3f9x2m1z7abq'); // 42
 * counterOf('1a2b3c4d5e6f7g-42', '0k3f9x2m1z7abq'); // -1: another log's
 * ```
 */
export function counterOf(id: string, epoch: string | undefined): number {
  if (epoch === undefined || id.length <= epoch.length + 1) return -1;
  if (!id.startsWith(epoch) || id.charCodeAt(epoch.length) !== 45 /* - */) return -1;
  const counter = id.slice(epoch.length + 1);
  return COUNTER.test(counter) ? Number(counter) : -1;
}
