import { sleep } from '../signal.ts';
import { type EncodedMessage, fromWireText } from '../wire/encoded.ts';
import type { SSEItem } from '../wire/message.ts';
import type { StreamEnd, StreamPage, StreamStore } from './stream-store.ts';

/** Entries one read asks for: a reader holds no more than one page. */
export const PAGE = 256;

const UNAVAILABLE: StreamEnd = { state: 'errored', reason: 'unavailable' };

/** @internal What a follower reads, from where, and how it ends. */
export interface FollowPlan {
  readonly store: StreamStore;
  readonly id: string;
  /** The first page, read before the response was made (it decided 204 or 200), and where it started. */
  readonly first: StreamPage;
  readonly cursor: string | undefined;
  /** Milliseconds between reads while nothing is heard: how late a lost notice or a lost producer is seen. */
  readonly poll: number;
  /** Milliseconds a failing store is read again before the reader gives up, `unavailable`. */
  readonly patience: number;
  readonly endMessages: (end: StreamEnd) => readonly SSEItem<any>[];
  readonly onError: (error: unknown) => void;
}

/**
 * @internal The messages of a stream from its first page to its end: page
 * by page as the client takes them (a reader that stops reading holds one
 * page), then waiting for the store's notice, or `poll` at the latest, and
 * reading again. Ends after the end entry, with the messages the caller
 * gives for it; ends early when `signal` aborts (the client left). A store
 * that fails is read again, backing off, for `patience`; then, and for a
 * stream that expired under the reader, the reader ends `unavailable`:
 * never a normal close that a client would take for the whole answer.
 *
 * The store is watched from the first pull, not from the response's
 * making: a response never read holds no listener, and what changed between
 * the first page and the watch is read at once.
 */
export async function* follow(
  plan: FollowPlan,
  signal: AbortSignal,
): AsyncGenerator<EncodedMessage | SSEItem<any>, void, undefined> {
  const { store, id, poll } = plan;
  let page = plan.first;
  let cursor = plan.cursor;
  let heard = true; // read again at once after the first page
  let wake: (() => void) | undefined;
  const unwatch = store.watch(id, () => {
    heard = true;
    wake?.();
  });
  try {
    for (;;) {
      for (const entry of page.entries) {
        yield fromWireText('id: ' + entry.id + '\n' + entry.body);
        cursor = entry.id;
      }
      if (page.end) return yield* plan.endMessages(page.end);
      if (page.state === 'unknown') return yield* plan.endMessages(UNAVAILABLE);
      if (page.entries.length < PAGE && !heard) {
        const waited = new AbortController();
        const stop = () => waited.abort();
        signal.addEventListener('abort', stop, { once: true });
        wake = stop;
        await sleep(poll, waited.signal);
        wake = undefined;
        signal.removeEventListener('abort', stop);
      }
      if (signal.aborted) return;
      heard = false;
      const next = await readWithRetry(plan, cursor, signal);
      if (!next) return yield* signal.aborted ? [] : plan.endMessages(UNAVAILABLE);
      page = next;
    }
  } finally {
    unwatch();
  }
}

// A page, reading again while the store fails (50 ms doubling to 2 s), for
// `patience` at most; undefined when it gave up or the client left.
async function readWithRetry(
  plan: FollowPlan,
  cursor: string | undefined,
  signal: AbortSignal,
): Promise<StreamPage | undefined> {
  const giveUp = Date.now() + plan.patience;
  for (let delay = 50; !signal.aborted; delay = Math.min(delay * 2, 2000)) {
    try {
      return await plan.store.read(plan.id, cursor, PAGE);
    } catch (error) {
      if (Date.now() + delay > giveUp) {
        plan.onError(error);
        return undefined;
      }
    }
    await sleep(delay, signal);
  }
  return undefined;
}
