import { join } from '../wire/bytes.ts';
import { type EncodeOptions, encodeMessage } from '../wire/encode.ts';
import { EncodedMessage } from '../wire/encoded.ts';
import type { SSEItem } from '../wire/message.ts';

const encoder = new TextEncoder();
// A pull gathers what the source has ready into one chunk of about this many
// UTF-16 units: one write per batch instead of one per event.
const BATCH_UNITS = 16 * 1024;
// How many microtask turns a pull waits for the source's next item before it
// sends what it has. An async generator that yields without awaiting settles
// in two; anything slower waits on I/O or a timer, and then the batch goes
// out at once, so no event is delayed.
const READY_TURNS = 6;

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
  bytes: Uint8Array | undefined;
  /** The next item, asked for but not ready yet: the next pull starts there. */
  pending: PromiseLike<Pulled> | undefined;
  /** The source is finished: it ended, or its `next()` threw. */
  finished: boolean;
  /** Set when the source threw or yielded an invalid message. */
  failure: { error: unknown } | undefined;
}

/**
 * @internal Reads what `iterator` has ready, up to about 16 KiB, and encodes
 * it as one chunk. A batch that is one pre-encoded message is its shared
 * bytes, without a copy; several are joined as bytes, never re-encoded. Resolves `undefined` when `isClosed()` turned true
 * while it waited: then nothing may be written.
 */
export async function readBatch(
  iterator: PullIterator,
  sync: boolean,
  pending: PromiseLike<Pulled> | undefined,
  options: EncodeOptions,
  isClosed: () => boolean,
): Promise<Batch | undefined> {
  // The first item is awaited before anything else is allocated: a stream
  // idles here between messages, and what is alive while it idles (times
  // thousands of subscribers) survives young collections and costs GC time.
  let result: Pulled;
  try {
    const next = pending ?? iterator.next();
    result = sync ? (next as Pulled) : await next;
  } catch (error) {
    return isClosed()
      ? undefined
      : { bytes: undefined, pending: undefined, finished: true, failure: { error } };
  }
  // Pre-encoded messages join the batch as their shared bytes, never
  // re-encoded per stream; other messages are encoded as text, once per batch.
  const parts: Uint8Array[] = [];
  let partBytes = 0;
  let text = '';
  const settleText = () => {
    if (!text) return;
    const bytes = encoder.encode(text);
    parts.push(bytes);
    partBytes += bytes.byteLength;
    text = '';
  };
  const batch = (
    finished: boolean,
    failure?: { error: unknown },
    next?: PromiseLike<Pulled>,
  ): Batch => {
    settleText();
    return { bytes: join(parts, partBytes), pending: next, finished, failure };
  };
  // Settles with each next item; created once per batch, not per item.
  let probe: Probe | undefined;
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
    probe ??= new Probe();
    probe.watch(next as PromiseLike<Pulled>);
    for (let turn = 0; turn < READY_TURNS && probe.state === PENDING; turn++) await undefined;
    if (probe.state === PENDING) {
      return isClosed() ? undefined : batch(false, undefined, next as PromiseLike<Pulled>);
    }
    if (probe.state === FAILED) return isClosed() ? undefined : batch(true, probe.failure);
    result = probe.result!;
  }
}

const PENDING = 0;
const SETTLED = 1;
const FAILED = 2;

/** Watches one promise at a time without allocating per promise. */
class Probe {
  state = PENDING;
  result: Pulled | undefined;
  failure: { error: unknown } | undefined;
  #settle = (result: Pulled) => {
    this.result = result;
    this.state = SETTLED;
  };
  #fail = (error: unknown) => {
    this.failure = { error };
    this.state = FAILED;
  };

  watch(promise: PromiseLike<Pulled>): void {
    this.state = PENDING;
    this.result = undefined;
    promise.then(this.#settle, this.#fail);
  }
}
