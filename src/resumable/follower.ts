import { sleep } from '../signal.ts';
import { type EncodedMessage, fromWireText } from '../wire/encoded.ts';
import type { SSEItem } from '../wire/message.ts';
import type { StreamEnd, StreamPage, StreamStore } from './stream-store.ts';

/** Entries one read asks for: a reader holds no more than one page. */
export const PAGE = 256;

/**
 * @internal The store's notices of one stream, heard from before the first
 * read: a change between that read and the first wait is not missed.
 */
export class Notice {
  #heard = false;
  #wake: (() => void) | undefined;
  readonly stop: () => void;

  constructor(store: StreamStore, id: string) {
    const unwatch = store.watch(id, () => {
      this.#heard = true;
      this.#wake?.();
    });
    // Stopped by the reader's end and by the response's close, whichever
    // comes first: a body cancelled unread never runs the reader at all.
    let watching = true;
    this.stop = () => {
      if (watching) unwatch();
      watching = false;
    };
  }

  /** Waits until a notice (one heard since the last wait counts), `ms`, or `signal`. */
  async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (!this.#heard) {
      const waited = new AbortController();
      const stop = () => waited.abort();
      signal.addEventListener('abort', stop, { once: true });
      this.#wake = stop;
      await sleep(ms, waited.signal);
      this.#wake = undefined;
      signal.removeEventListener('abort', stop);
    }
    this.#heard = false;
  }
}

/** @internal What a follower reads, from where, and how it ends. */
export interface FollowPlan {
  readonly store: StreamStore;
  readonly id: string;
  readonly notice: Notice;
  /** The first page, read before the response was made (it decided 204 or 200). */
  readonly first: StreamPage;
  readonly cursor: string | undefined;
  /** Milliseconds between reads while nothing is heard: how late a lost notice or a lost producer is seen. */
  readonly poll: number;
  readonly endMessages: (end: StreamEnd) => readonly SSEItem<any>[];
}

/**
 * @internal The messages of a stream from `plan.cursor` to its end: page by
 * page as the client takes them (a reader that stops reading holds one
 * page), then waiting for the store's notice, or `poll` at the latest, and
 * reading again. Ends after the end entry, with the messages the caller
 * gives for it; ends early when `signal` aborts (the client left).
 */
export async function* follow(
  plan: FollowPlan,
  signal: AbortSignal,
): AsyncGenerator<EncodedMessage | SSEItem<any>, void, undefined> {
  const { store, id, poll, notice } = plan;
  let cursor = plan.cursor;
  let page: StreamPage = plan.first;
  try {
    while (!signal.aborted) {
      for (const entry of page.entries) {
        yield fromWireText('id: ' + entry.id + '\n' + entry.body);
        cursor = entry.id;
      }
      if (page.end) {
        yield* plan.endMessages(page.end);
        return;
      }
      if (page.state === 'unknown') return; // expired under the reader
      if (page.entries.length < PAGE) await notice.wait(poll, signal);
      if (signal.aborted) return;
      page = await store.read(id, cursor, PAGE);
    }
  } finally {
    notice.stop();
  }
}
