// A log's identity inside its ids: `<epoch>-<n>`, the epoch made when the
// log's storage is, so an id of another log or of an older history is told
// apart from a position in this one (see HubLog's contract in log.ts).

/** @internal How the logs write an epoch: 14 characters of 0-9 and a-z. */
export const EPOCH = /^[0-9a-z]{14}$/;

// The counter part of an id as a log writes it: no sign, no leading zero,
// no exponent or hex, and exact as a number.
const COUNTER = /^(?:0|[1-9]\d{0,15})$/;

/**
 * @internal A new epoch: 64 random bits from `crypto.getRandomValues`, in
 * base 36. A time would not do (logs made in the same millisecond, or in a
 * workerd isolate whose clock stands at 0 before its first request), nor
 * would `Math.random` (not made to be unguessable; 20 bits of it gave about
 * 7 pairs of like epochs among 5,000 logs made in one millisecond). Call it when the
 * storage is made, not at a module's top level: workerd refuses random
 * values there.
 */
export function newEpoch(): string {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return high!.toString(36).padStart(7, '0') + low!.toString(36).padStart(7, '0');
}

/**
 * @internal The counter of `id` when it is `<epoch>-<n>` as a log with this
 * epoch writes it; -1 for any other id (another log's, a made-up one).
 */
export function counterOf(id: string, epoch: string | undefined): number {
  if (epoch === undefined || id.length <= epoch.length + 1) return -1;
  if (!id.startsWith(epoch) || id.charCodeAt(epoch.length) !== 45 /* - */) return -1;
  const counter = id.slice(epoch.length + 1);
  return COUNTER.test(counter) ? Number(counter) : -1;
}
