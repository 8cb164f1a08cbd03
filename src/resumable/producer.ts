import { abortable, sleep } from '../signal.ts';
import { type BodyIterator, bodiesOf, type StreamSource } from './stream-source.ts';
import type { StreamEnd, StreamStore, StreamTerms } from './stream-store.ts';

/** Bytes read ahead of the store: past them the source waits for an append. */
const MAX_PENDING_BYTES = 1024 * 1024;

/** @internal What a producer run needs: the stream it holds and where to tell errors. */
export interface ProducerRun {
  readonly store: StreamStore;
  readonly id: string;
  readonly token: string;
  readonly terms: StreamTerms;
  readonly onError: (error: unknown) => void;
}

/**
 * @internal Runs `source` to its end into the store, as the holder of
 * `token`: bodies are appended in order, in batches (what came while an
 * append was under way goes in the next), the lease is renewed while the
 * source is quiet, and the end is written last. The source's signal aborts
 * when the stream is no longer its to write: stopped from anywhere (the
 * store's `watch`, else the next renewal), declared lost, or past its bytes.
 * Resolves when everything is settled; never rejects.
 */
export async function produce(run: ProducerRun, source: StreamSource): Promise<void> {
  const { store, id, token, terms, onError } = run;
  const controller = new AbortController();
  let ended: StreamEnd | undefined;
  const lose = (end: StreamEnd) => {
    ended ??= end;
    controller.abort(end);
  };
  const check = () => {
    store.renew(id, token, terms).then(
      (ours) => ours || lose({ state: 'stopped' }),
      () => {}, // a failed renewal is retried at the next tick
    );
  };
  const unwatch = store.watch(id, () => !appending && check());
  const renewal = setInterval(check, Math.max(10, Math.floor(terms.lease / 3)));
  let appending = false;
  let pending: string[] = [];
  let pendingBytes = 0;
  let flushing: Promise<void> | undefined;

  // Bodies the store holds: an append says where it starts, so one retried
  // after a lost reply adds nothing twice.
  let written = 0;
  const flush = async () => {
    while (pending.length > 0 && !ended) {
      const bodies = pending;
      pending = [];
      pendingBytes = 0;
      const result = await appendWithRetry(bodies);
      if (!result.ok) lose(result.end);
      else written += bodies.length;
    }
  };
  // A store that fails (a lost connection, a restart) is tried again, backing
  // off from 50 ms to 2 s, for up to two leases: past them the readers have
  // been told the producer was lost, and the error ends this run.
  const appendWithRetry = async (bodies: string[]) => {
    const giveUp = Date.now() + 2 * terms.lease;
    for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
      appending = true;
      try {
        return await store.append(id, token, written, bodies, terms);
      } catch (error) {
        if (Date.now() + delay > giveUp || controller.signal.aborted) throw error;
      } finally {
        appending = false;
      }
      await sleep(delay, controller.signal);
    }
  };
  const startFlush = () => {
    flushing ??= flush().finally(() => (flushing = undefined));
    return flushing;
  };

  let bodies: BodyIterator | undefined;
  let failure: { error: unknown } | undefined;
  try {
    const value =
      typeof source === 'function' ? await source({ signal: controller.signal }) : source;
    bodies = bodiesOf(value);
    while (!ended) {
      const read = await abortable(bodies.next(), controller.signal);
      if (read.done) break;
      pending.push(read.value);
      pendingBytes += read.value.length; // code units: a bound on memory, not the stored size
      const flushed = startFlush();
      if (pendingBytes >= MAX_PENDING_BYTES) await abortable(flushed, controller.signal);
    }
    while (flushing || (pending.length > 0 && !ended)) await startFlush();
  } catch (error) {
    if (!ended) failure = { error };
  } finally {
    clearInterval(renewal);
    unwatch();
    if (bodies && (ended || failure)) bodies.return().catch(() => {});
  }
  try {
    if (failure) {
      onError(failure.error);
      await store.end(id, token, { state: 'errored', reason: 'producer-error' }, terms);
    } else if (!ended) {
      await store.end(id, token, { state: 'done' }, terms);
    }
  } catch (error) {
    // The end could not be written (the store is down): the lease runs out
    // and readers are told the producer was lost.
    onError(error);
  }
}
