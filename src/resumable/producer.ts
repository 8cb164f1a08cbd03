import { abortable, sleep } from '../signal.ts';
import { type BodyIterator, bodiesOf, cancelSource, type StreamSource } from './stream-source.ts';
import type { StreamEnd, StreamStore, StreamTerms } from './stream-store.ts';

/** Bytes read ahead of the store: past them the source waits for an append. */
const MAX_PENDING_BYTES = 1024 * 1024;

/** @internal What a producer run needs: the stream it holds and where to tell errors. */
export interface ProducerRun {
  readonly store: StreamStore;
  readonly id: string;
  readonly token: string;
  readonly terms: StreamTerms;
  /** Milliseconds the source may be silent before the stream ends `producer-idle`; 0: no limit. */
  readonly idleTimeout: number;
  readonly onError: (error: unknown) => void;
}

/**
 * @internal Runs `source` to its end into the store, as the holder of
 * `token`: bodies are appended in order, in batches (what came while an
 * append was under way goes in the next), the lease is renewed while the
 * source is quiet, and the end is written last. The source's signal aborts
 * when the stream is no longer its to write (stopped from anywhere: heard
 * through the store's `watch`, else at the next renewal; declared lost;
 * past its bytes), when the store keeps refusing its chunks, and when it is
 * silent past `idleTimeout`. Resolves when everything is settled; never
 * rejects.
 */
export async function produce(run: ProducerRun, source: StreamSource): Promise<void> {
  const { store, id, token, terms } = run;
  const tell = (error: unknown) => {
    try {
      run.onError(error);
    } catch {} // a throwing onError must not leave the stream without its end
  };
  const controller = new AbortController();
  const { signal } = controller;
  // The end this run writes, once known; `taken`: the stream was ended
  // elsewhere (stopped, lost, too large), so this run writes nothing more.
  let end: StreamEnd | undefined;
  let taken = false;
  const finish = (reached: StreamEnd, error?: unknown) => {
    if (end || taken) return;
    end = reached;
    controller.abort(reached);
    if (error !== undefined) tell(error);
  };
  const lose = () => {
    if (end || taken) return;
    taken = true;
    controller.abort({ state: 'stopped' });
  };

  // Whether the stream is still ours: one renewal at a time, and one more
  // after it when asked meanwhile (a stop heard during an append is not lost).
  let checking = false;
  let recheck = false;
  const check = () => {
    if (checking) return void (recheck = true);
    checking = true;
    store
      .renew(id, token, terms)
      .then(
        (ours) => ours || lose(),
        () => {},
      ) // a failed renewal: the next tick tries again
      .finally(() => {
        checking = false;
        if (recheck && !signal.aborted) check();
        recheck = false;
      });
  };
  let unwatch = () => {};
  const renewal = setInterval(check, Math.floor(terms.lease / 3));
  // The idle timeout: one timer, moved on only when it fires early (a chunk
  // came since), not reset at every chunk.
  let idle: ReturnType<typeof setTimeout> | undefined;
  let lastChunk = Date.now();
  const armIdle = (ms: number) => {
    idle = setTimeout(() => {
      const left = lastChunk + run.idleTimeout - Date.now();
      if (left > 0) armIdle(left);
      else finish({ state: 'errored', reason: 'producer-idle' });
    }, ms);
  };
  const quiet = () => {
    lastChunk = Date.now();
  };
  if (run.idleTimeout > 0) armIdle(run.idleTimeout);

  let pending: string[] = [];
  let pendingBytes = 0;
  // Bodies the store holds: an append says where it starts, so one retried
  // after a lost reply adds nothing twice.
  let written = 0;
  let flushing: Promise<void> | undefined;
  // A store that fails (a lost connection, a restart) is tried again, backing
  // off from 50 ms to 2 s, for up to two leases; past them the chunks cannot
  // be kept in order, and the run ends `errored`. Never rejects.
  const flush = async () => {
    try {
      while (pending.length > 0 && !signal.aborted) {
        const batch = pending;
        pending = [];
        pendingBytes = 0;
        const result = await appendWithRetry(batch);
        if (!result.ok) return lose();
        written += batch.length;
      }
    } catch (error) {
      finish({ state: 'errored', reason: 'producer-error' }, error);
    }
  };
  const appendWithRetry = async (bodies: string[]) => {
    const giveUp = Date.now() + 2 * terms.lease;
    for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
      try {
        return await store.append(id, token, written, bodies, terms);
      } catch (error) {
        if (Date.now() + delay > giveUp || signal.aborted) throw error;
      }
      await sleep(delay, signal);
    }
  };
  const startFlush = () => {
    flushing ??= flush().finally(() => (flushing = undefined));
    return flushing;
  };

  let bodies: BodyIterator | undefined;
  try {
    unwatch = store.watch(id, (change) => change === 'entries' || check());
    const made = typeof source === 'function' ? Promise.resolve(source({ signal })) : source;
    // A source function that settles after a stop: what it made is let go.
    if (made instanceof Promise)
      made.then(
        (late) => signal.aborted && cancelSource(late),
        () => {},
      );
    bodies = bodiesOf(await abortable(Promise.resolve(made), signal));
    for (;;) {
      quiet();
      const read = await abortable(bodies.next(), signal);
      if (read.done) break;
      pending.push(read.value);
      pendingBytes += read.value.length; // code units: a bound on memory, not the stored size
      startFlush();
      if (pendingBytes >= MAX_PENDING_BYTES) await abortable(flushing!, signal);
    }
    clearTimeout(idle);
    while (flushing || (pending.length > 0 && !signal.aborted)) await startFlush();
    finish({ state: 'done' });
  } catch (error) {
    if (!signal.aborted) finish({ state: 'errored', reason: 'producer-error' }, error);
  } finally {
    clearInterval(renewal);
    clearTimeout(idle);
    unwatch();
    if (signal.aborted) bodies?.return().catch(() => {});
  }
  if (end && !taken) {
    try {
      await store.end(id, token, end, terms);
    } catch (error) {
      // The end could not be written (the store is down): the lease runs out
      // and readers are told the producer was lost.
      tell(error);
    }
  }
}
