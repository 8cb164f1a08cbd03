import { MAX_DELAY, need } from '../checks.ts';

// How long the reconnecting client waits before its next attempt: the
// server's reconnection time, a backoff after failures, a Retry-After.

/**
 * The wait before attempt number `failures + 1`. After a connection that
 * delivered events (`failures` 0) it is the reconnection time, as the spec
 * asks ("wait a delay equal to the reconnection time of the event source").
 * After failed attempts it starts from at least `floor`, whatever the server
 * asked (a `retry: 0` must not make a client hammer it), doubles per failure
 * up to `cap`, and is jittered by up to half so that many clients dropped at
 * once do not come back at once.
 * @internal
 */
export function backoff(
  reconnectionTime: number,
  failures: number,
  floor: number,
  cap: number,
): number {
  if (!failures) return reconnectionTime;
  const base = Math.max(reconnectionTime, floor);
  // 2 ** 31 times any base is past any cap: no Infinity, no NaN.
  const delay = Math.min(base * 2 ** Math.min(failures, 31), cap);
  return delay / 2 + (Math.random() * delay) / 2;
}

/**
 * A delay option in milliseconds: `fallback` when absent, a typed error when
 * not a number of at least 0, and at most what a timer can wait.
 * @internal
 */
export function delayOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  need(
    typeof value === 'number' && value >= 0,
    `connect: ${name}`,
    'a number of milliseconds, 0 or more',
    value,
  );
  return Math.min(value, MAX_DELAY);
}

/**
 * `Retry-After` in milliseconds; undefined when absent or not delay-seconds
 * (an HTTP date then falls back to the backoff).
 * @internal
 */
export function retryAfter(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  return value && /^\s*\d+\s*$/.test(value) ? +value * 1000 : undefined;
}
