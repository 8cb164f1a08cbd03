import { needDelay, needFunction } from '../checks.ts';
import { abortable, sleep } from '../signal.ts';

/**
 * Options of {@link every}.
 *
 * @example
 * ```ts
 * every(5000, snapshot, { signal: ctx.signal });
 * ```
 */
export interface EveryOptions {
  /** Ends the iteration at once when it aborts: no timer is left behind. */
  signal?: AbortSignal;
}

/**
 * Yields `fn(tick)` at once, then every `ms` milliseconds, until `signal`
 * aborts: the dashboard pattern (a snapshot now, a fresh one every few
 * seconds) as a source for `sseResponse`. `tick` counts from 0.
 *
 * Ticks keep to the schedule however long `fn` takes, and ticks missed while
 * the client was not reading are skipped, never sent in a burst: a stream is
 * pulled, so a slow client gets fewer, fresher snapshots. A result of
 * `undefined` sends nothing for that tick (say, nothing changed). A promise
 * returned by `fn` is awaited, but an abort does not wait for it.
 *
 * @example
 * ```ts
 * import { every, sseResponse } from 'ssekit';
 *
 * const handler = (request: Request) =>
 *   sseResponse(
 *     ({ signal }) =>
 *       every(5000, async () => ({ event: 'metrics', data: await db.stats() }), { signal }),
 *     { request, retry: 10_000 },
 *   );
 * ```
 */
export async function* every<T>(
  ms: number,
  fn: (tick: number) => T | PromiseLike<T>,
  options: EveryOptions = {},
): AsyncGenerator<Exclude<Awaited<T>, undefined>, void, undefined> {
  needDelay('every(ms)', ms, 'Pass one such as 5000.');
  needFunction('every(ms, fn)', fn, 'Pass one such as () => stats().');
  const { signal } = options;
  // Without a signal, abortable() below would need one; a never-aborting one is cheap.
  const stop = signal ?? new AbortController().signal;
  let next = Date.now();
  for (let tick = 0; ; tick++) {
    if (tick > 0) {
      const now = Date.now();
      next += ms;
      // Overdue (the client was not reading): send now and restart the
      // schedule from here, rather than catch up with a burst.
      if (next <= now) next = now;
      else if (!(await sleep(next - now, signal))) return;
    }
    if (stop.aborted) return;
    let value: Awaited<T>;
    try {
      value = await abortable(Promise.resolve(fn(tick)), stop);
    } catch (error) {
      if (stop.aborted) return; // the abort, not a failure of fn
      throw error;
    }
    if (value !== undefined) yield value as Exclude<Awaited<T>, undefined>;
  }
}
