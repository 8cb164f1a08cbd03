import { isPromiseLike } from '../checks.ts';
import { join } from '../wire/bytes.ts';
import { type EncodeOptions, encodeMessage } from '../wire/encode.ts';
import { encodedBytes } from '../wire/encoded.ts';
import type { SSEItem } from '../wire/message.ts';
import { type Feed, type FeedTarget, returnQuietly } from './feed.ts';

const encoder = new TextEncoder();
// A read gathers what the source hands over into one chunk of about this
// many UTF-16 units: one write per batch instead of one per event.
const BATCH_UNITS = 16 * 1024;
// Without Node's tick queue: how many microtask turns pass without a new
// item before a read sends what it holds. A plain async generator hands an
// item over in about two turns, one that `for await`s another in about four.
const READY_TURNS = 6;

// Node, or a runtime that says it is Node where it matters (Bun, Deno), found
// by feature, not imported: the core stays web standard. Polyfills (a
// browser's `process` shim, workerd's nodejs_compat) do not say so; their
// tick is a timer or a single microtask.
const host = (
  globalThis as {
    process?: { release?: { name?: string }; nextTick(callback: () => void): void };
  }
).process;

/**
 * @internal Calls `callback` soon, before any I/O or timer. With Node's tick queue,
 * called from a microtask (as a read always does), that is once the
 * microtask queue is empty: the source waits on something else. Elsewhere it
 * is after a few microtask turns; a flush that finds an item arrived since
 * then waits again, so a burst still leaves as one chunk.
 */
export const later: (callback: () => void) => void =
  host?.release?.name === 'node'
    ? host.nextTick
    : (callback) => {
        let turns = READY_TURNS;
        const turn = () => (--turns ? queueMicrotask(turn) : callback());
        queueMicrotask(turn);
      };

/** @internal One step of a pulled source. */
export type Pulled = IteratorResult<SSEItem<any>>;

/**
 * @internal A generator, an iterator, or a stream reader dressed as one.
 * `next()` may return a step or a promise of one, and may change from one
 * to the other at every call: a promise is awaited, a step taken at once.
 */
export interface PullIterator {
  next(): Pulled | PromiseLike<Pulled>;
  return?(): unknown;
}

/**
 * @internal Reads a generator, an iterator or a stream reader for one
 * stream, one read at a time.
 *
 * A read takes items while the source hands them over and the consumer takes
 * more, encodes them and holds them; at about 16 KiB it sends them as one
 * chunk. When the source stops producing (it waits on I/O or a timer), what
 * is held is sent at once, so no event waits for the next, and the read
 * waits on. When the consumer is full, what is held waits for the next
 * demand, and a read that gets an item then stops with it in hand. A chunk
 * that is one pre-encoded message is its shared bytes, without a copy;
 * several are joined as bytes, never re-encoded.
 *
 * A demand settles as soon as the read sends something, or finds the
 * consumer full when its source stops producing, or the stream's push writer
 * queues a message (`wake`); the read goes on meanwhile. A demand while a
 * read goes on sends what is held if the source has stopped producing;
 * otherwise the read's flush sends it, as one chunk.
 */
export class PullFeed implements Feed {
  #iterator: PullIterator | undefined;
  #target: FeedTarget;
  #options: EncodeOptions;
  #isClosed: () => boolean;
  /** The next item, in hand but not sent (the consumer was full): the next read starts there. */
  #pending: Pulled | undefined;
  #reading = false;
  #wake: (() => void) | undefined;
  // What is held: pre-encoded messages as their shared bytes, others as text,
  // encoded once per chunk.
  #parts: Uint8Array[] = [];
  #bytes = 0;
  #text = '';
  // `#waiting`: a flush is scheduled; `#arrived`: an item came since it was.
  #waiting = false;
  #arrived = false;

  constructor(
    iterator: PullIterator,
    target: FeedTarget,
    options: EncodeOptions,
    isClosed: () => boolean,
  ) {
    this.#iterator = iterator;
    this.#target = target;
    this.#options = options;
    this.#isClosed = isClosed;
  }

  demand(): PromiseLike<void> | void {
    const iterator = this.#iterator;
    if (!iterator) return;
    const sent = new Promise<void>((resolve) => (this.#wake = resolve));
    // A read under way whose source stopped producing holds what the
    // consumer was too full to take: send it now. One whose source still
    // produces sends at its flush, as one chunk.
    if (this.#reading) {
      if (!this.#waiting) this.#send(false);
    } else {
      this.#reading = true;
      this.#read(iterator).then(this.wake, this.wake);
    }
    return sent;
  }

  settle(): void {
    this.#send(true);
  }

  wake = (): void => {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  };

  stop(): void {
    const iterator = this.#iterator;
    this.#iterator = this.#pending = undefined;
    if (iterator) returnQuietly(iterator);
  }

  /**
   * Sends what is held if the consumer takes it now, or `always` (a graceful
   * close); never once the stream closed.
   */
  #send(always: boolean): void {
    if (this.#isClosed() || !(always || this.#target.writable())) return;
    const bytes = this.#take();
    if (!bytes) return;
    try {
      this.#target.emit(bytes);
    } catch {
      // A consumer that throws is gone; its adapter closes the stream.
    }
    this.wake();
  }

  #flush = (): void => {
    if (this.#arrived) {
      this.#arrived = false;
      later(this.#flush);
      return;
    }
    this.#waiting = false;
    // The consumer takes more: send what is held (a demand waits for it).
    // It is full: settle the demand, so the stream asks again when it can.
    if (this.#target.writable()) this.#send(false);
    else this.wake();
  };

  async #read(iterator: PullIterator): Promise<void> {
    let failure: { error: unknown } | undefined;
    let finished = true;
    let outcome: boolean | { error: unknown } = false;
    try {
      // Reads again while a demand is waiting that the last read did not
      // answer (it came as that read sent its chunk): a demand never settles
      // with nothing sent while the consumer takes more.
      while (outcome === false && this.#wake && this.#target.writable()) {
        const pending = this.#pending;
        this.#pending = undefined;
        outcome = await this.#gather(iterator, pending);
      }
      // An item that cannot be sent fails the stream, but the source is not
      // finished: the close path returns it, so its `finally` runs.
      if (typeof outcome === 'object') failure = outcome;
      finished = outcome === true;
    } catch (error) {
      failure = { error }; // the source threw: it is finished
    }
    this.#reading = false;
    if (this.#isClosed()) return;
    // A finished iterator has nothing to return(); an unfinished one is
    // returned by the close path, so its `finally` runs.
    if (finished) this.#iterator = undefined;
    if (failure || finished) this.#send(true);
    if (failure) this.#target.fail(failure.error);
    else if (finished) this.#target.ended();
  }

  /**
   * One read: resolves `true` when the source ended, `false` when the read
   * stops before it (the chunk is full, or the consumer is), `{ error }` for
   * an item that cannot be sent; rejects with what the source threw.
   */
  async #gather(
    iterator: PullIterator,
    pending: Pulled | undefined,
  ): Promise<boolean | { error: unknown }> {
    const first = pending ?? iterator.next();
    let result = isPromiseLike(first) ? await first : (first as Pulled);
    for (;;) {
      if (this.#isClosed() || result.done) return true;
      try {
        this.#hold(result.value);
      } catch (error) {
        return { error };
      }
      if (this.#bytes + this.#text.length >= BATCH_UNITS) {
        this.#send(true);
        return false;
      }
      // A step handed over at once (a sync iterator's, or a relay's while
      // one upstream chunk lasts) is taken without a promise or a turn.
      const next = iterator.next();
      if (!isPromiseLike(next)) {
        result = next as Pulled;
        continue;
      }
      if (!this.#waiting) {
        this.#waiting = true;
        later(this.#flush);
      }
      result = await next;
      this.#arrived = this.#waiting;
      // The consumer filled up while the read waited (a flush, the push
      // writer, a heartbeat): stop with the item in hand, and what is held
      // kept, until it takes more.
      if (!result.done && !this.#target.writable()) {
        this.#pending = result;
        return false;
      }
    }
  }

  #hold(item: SSEItem<any>): void {
    const bytes = encodedBytes(item);
    if (bytes) {
      this.#encodeText();
      this.#parts.push(bytes);
      this.#bytes += bytes.byteLength;
    } else this.#text += encodeMessage(item, this.#options);
  }

  #encodeText(): void {
    if (!this.#text) return;
    const bytes = encoder.encode(this.#text);
    this.#parts.push(bytes);
    this.#bytes += bytes.byteLength;
    this.#text = '';
  }

  #take(): Uint8Array | undefined {
    this.#encodeText();
    const bytes = join(this.#parts, this.#bytes);
    this.#parts = [];
    this.#bytes = 0;
    return bytes;
  }
}
