import { join } from '../wire/bytes.ts';
import { type EncodeOptions, encodeMessage } from '../wire/encode.ts';
import { EncodedMessage } from '../wire/encoded.ts';
import type { SSEItem } from '../wire/message.ts';

const encoder = new TextEncoder();
// A pull gathers what the source has ready into one chunk of about this many
// UTF-16 units: one write per batch instead of one per event.
const BATCH_UNITS = 16 * 1024;
// Where there is no `process.nextTick`, how many microtask turns pass
// without a new item before a pull sends what it holds. An async generator
// that yields without awaiting settles in two or three.
const READY_TURNS = 6;

// Node, Bun and Deno, found by feature, not imported: the core stays web
// standard (a browser's `process` shim has no `versions.node`; its tick is a
// timer).
const host = (
  globalThis as {
    process?: { versions?: { node?: string }; nextTick(callback: () => void): void };
  }
).process;

/**
 * Calls `callback` once the microtasks queued now (and those they queue) have
 * run, before any I/O or timer: `process.nextTick` where the runtime has one,
 * else a few microtask turns.
 */
const afterMicrotasks: (callback: () => void) => void = host?.versions?.node
  ? host.nextTick
  : (callback) => {
      let turns = READY_TURNS;
      const turn = () => (--turns ? queueMicrotask(turn) : callback());
      queueMicrotask(turn);
    };

/** @internal One step of a pulled source. */
export type Pulled = IteratorResult<SSEItem<any>>;

/** @internal A generator, an iterator, or a stream reader dressed as one. */
export interface PullIterator {
  next(): Pulled | PromiseLike<Pulled>;
  return?(): unknown;
}

/** @internal What one pull read from a source. */
export interface Batch {
  /** The encoded messages that were ready, if any. */
  bytes?: Uint8Array;
  /** The next item, in hand but not sent (the consumer filled up): the next pull starts there. */
  pending?: Pulled;
  /** The source is finished: it ended, or its `next()` threw. */
  finished: boolean;
  /** Set when the source threw or yielded an invalid message. */
  failure?: { error: unknown };
}

/** @internal Where a pull sends what it holds when its source stops producing. */
export interface BatchOutput {
  /** Sends bytes now. */
  emit(bytes: Uint8Array): void;
  /** The consumer takes bytes now. */
  writable(): boolean;
}

/**
 * @internal Reads what `iterator` has ready, up to about 16 KiB, and encodes
 * it as one chunk. A batch that is one pre-encoded message is its shared
 * bytes, without a copy; several are joined as bytes, never re-encoded.
 * Resolves `undefined` when `isClosed()` turned true while it waited: then
 * nothing may be written.
 *
 * An async source's next item is awaited directly. When the source stops
 * producing (the microtasks have run and it waits on I/O or a timer), what
 * the pull holds goes to `output` at once, so no event waits for the next;
 * if that fills the consumer, the pull returns with the next item in hand.
 */
export async function readBatch(
  iterator: PullIterator,
  sync: boolean,
  pending: Pulled | undefined,
  options: EncodeOptions,
  isClosed: () => boolean,
  output: BatchOutput,
): Promise<Batch | undefined> {
  // The first item is awaited before anything else is allocated: a stream
  // idles here between messages, and what is alive while it idles (times
  // thousands of subscribers) survives young collections and costs GC time.
  let result: Pulled;
  try {
    const next = pending ?? iterator.next();
    result = sync ? (next as Pulled) : await next;
  } catch (error) {
    return isClosed() ? undefined : { finished: true, failure: { error } };
  }
  // Pre-encoded messages join the batch as their shared bytes, never
  // re-encoded per stream; other messages are encoded as text, once per batch.
  let parts: Uint8Array[] = [];
  let partBytes = 0;
  let text = '';
  const settleText = () => {
    if (!text) return;
    const bytes = encoder.encode(text);
    parts.push(bytes);
    partBytes += bytes.byteLength;
    text = '';
  };
  const take = () => {
    settleText();
    const bytes = join(parts, partBytes);
    parts = [];
    partBytes = 0;
    return bytes;
  };
  const batch = (finished: boolean, failure?: { error: unknown }, next?: Pulled): Batch => ({
    bytes: take(),
    pending: next,
    finished,
    failure,
  });
  // `waiting`: a flush is scheduled; `arrived`: an item came since it was.
  // A flush that finds a new item waits again, so a burst is one chunk.
  let waiting = false;
  let arrived = false;
  const flush = (): void => {
    if (arrived) {
      arrived = false;
      afterMicrotasks(flush);
    } else {
      waiting = false;
      const bytes = isClosed() ? undefined : take();
      if (bytes) output.emit(bytes);
    }
  };
  for (;;) {
    if (isClosed()) return undefined;
    if (result.done) return batch(true);
    try {
      const item = result.value;
      if (item instanceof EncodedMessage) {
        settleText();
        parts.push(item.bytes);
        partBytes += item.bytes.byteLength;
      } else text += encodeMessage(item, options);
    } catch (error) {
      return batch(false, { error });
    }
    if (partBytes + text.length >= BATCH_UNITS) return batch(false);
    let next: Pulled | PromiseLike<Pulled>;
    try {
      next = iterator.next();
    } catch (error) {
      return batch(true, { error });
    }
    if (sync) {
      result = next as Pulled;
      continue;
    }
    if (!waiting) {
      waiting = true;
      afterMicrotasks(flush);
    }
    try {
      result = await next;
    } catch (error) {
      return isClosed() ? undefined : batch(true, { error });
    }
    arrived = waiting;
    // A flush while it waited filled the consumer: stop, the item in hand,
    // and send nothing more until it takes more.
    if (!waiting && !result.done && !isClosed() && !output.writable()) {
      return batch(false, undefined, result);
    }
  }
}
