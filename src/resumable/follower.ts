import { sleep } from '../signal.ts';
import { type EncodedMessage, fromWireText } from '../wire/encoded.ts';
import type { SSEItem } from '../wire/message.ts';
import type { StreamEnd, StreamEntry, StreamPage, StreamStore } from './stream-store.ts';

/** @internal Entries one read asks for: a reader holds no more than one page. */
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
  // Read again at once after the first page (the watch began after it);
  // after that, when the store says something changed without saying what.
  let mustRead = true;
  // Entries the store's notices carried, not yet sent: a reader at the tip
  // takes them without a read when they continue its cursor.
  let tip: StreamEntry[] = [];
  let wake: (() => void) | undefined;
  // Until the store's first notice (on Redis, the subscription in place),
  // and for 200 ms at most, a reader reads every 20 ms rather than every
  // `poll`: a chunk appended before the watch could hear of it is not late.
  let deaf = Date.now() + 200;
  const unwatch = store.watch(id, (change, entries) => {
    deaf = 0;
    if (change === 'entries' && entries && tip.length + entries.length <= PAGE)
      tip.push(...entries);
    else mustRead = true;
    wake?.();
  });
  // Until a notice, `poll` ms, or the client leaving: a plain callback, no
  // abort (an abort makes an exception object each time a reader wakes).
  const wait = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Date.now() < deaf ? Math.min(poll, 20) : poll);
      signal.addEventListener('abort', done);
      wake = done;
    });
  try {
    for (;;) {
      for (const entry of page.entries) {
        yield fromWireText('id: ' + entry.id + '\n' + entry.body);
        cursor = entry.id;
      }
      if (page.end) return yield* plan.endMessages(page.end);
      if (page.state === 'unknown') return yield* plan.endMessages(UNAVAILABLE);
      if (page.entries.length < PAGE && !mustRead && tip.length === 0) {
        await wait();
        if (tip.length === 0) mustRead = true; // the poll: read anyway
      }
      if (signal.aborted) return;
      const heard = mustRead ? undefined : following(tip, cursor);
      tip = [];
      if (heard) {
        page = { state: 'active', entries: heard };
        continue;
      }
      mustRead = false;
      const next = await readWithRetry(plan, cursor, signal);
      if (!next) return yield* signal.aborted ? [] : plan.endMessages(UNAVAILABLE);
      page = next;
    }
  } finally {
    unwatch();
  }
}

const ID = /^(.+)-(\d+)$/;

// The entries of `tip` after `cursor`, when they continue it with no gap
// (the same epoch, counters one after another); undefined when they do not,
// and the reader reads instead.
function following(tip: readonly StreamEntry[], cursor: string | undefined) {
  const at = cursor === undefined ? undefined : ID.exec(cursor);
  const after = at ? Number(at[2]) : 0;
  const entries: StreamEntry[] = [];
  for (const entry of tip) {
    const match = ID.exec(entry.id);
    if (!match || (at && match[1] !== at[1])) return undefined;
    const n = Number(match[2]);
    if (n <= after) continue; // read already
    if (n !== after + entries.length + 1) return undefined;
    entries.push(entry);
  }
  return entries;
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
