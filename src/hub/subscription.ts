import { join } from '../wire/bytes.ts';
import type { EncodedMessage } from '../wire/encoded.ts';
import { OUTLET, type Outlet, RESUME } from '../wire/outlet.ts';
import type { HubCore, ReadPage } from './hub-core.ts';
import type { HubEntry, HubPage } from './log.ts';

type Result = IteratorResult<EncodedMessage, undefined>;
const DONE: Result = { done: true, value: undefined };
const LIVE = 0;
const ENDING = 1;
const OVER = 2;
// Shared by every subscription that has no replay to read: never written to.
const NO_ENTRIES: readonly HubEntry[] = [];
// What one write to a stream's outlet carries at most when messages wait.
const WRITE_BYTES = 64 * 1024;

/**
 * One subscriber: an async iterator of encoded messages that replays what
 * was missed, then follows live. The replay is read from the log one page
 * at a time (at most a full queue's worth), the next page once the client
 * has taken the last one. Live messages that arrive while a page is read
 * wait in the same bounded queue; those the replay covers are dropped, the
 * rest follow the replay: no gap, no duplicate. Made by `hub.subscribe`.
 *
 * @example
 * ```ts
 * for await (const message of hub.subscribe('news', { lastEventId })) {
 *   socket.send(message.bytes); // the same bytes every subscriber gets
 * }
 * ```
 */
export class Subscription implements AsyncIterableIterator<EncodedMessage, undefined> {
  /** @internal The last fan-out that reached it: one message, once, whatever its topics. */
  stamp = 0;
  /** @internal When the hub ends it for its age (`maxConnectionAge`), in ms since the epoch. */
  deadline = Number.POSITIVE_INFINITY;
  /** Its topics, each once. */
  readonly topics: readonly string[];

  #core: HubCore<Subscription>;
  #queue: (HubEntry | undefined)[] = [];
  #head = 0;
  #bytes = 0;
  // The page of the replay being taken, and where the next one starts
  // (undefined once the replay reached the head of the log).
  #replay: readonly HubEntry[] = NO_ENTRIES;
  #replayAt = 0;
  #cursor: string | undefined;
  #read: ReadPage | undefined;
  #lastEventId = '';
  #reading = false;
  // Live entries up to this id were in the replay: dropped when they arrive.
  #floor: string | undefined;
  #resolve: ((result: Result) => void) | undefined;
  #state = LIVE;
  #close: (() => void) | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  // Given by `sseResponse` (see wire/outlet.ts): messages are written
  // through it as their shared bytes, not pulled one promise at a time.
  #outlet: Outlet | undefined;
  #options: { signal?: AbortSignal | undefined; close?: (() => void) | undefined } | undefined;

  /** @internal */
  constructor(
    core: HubCore<Subscription>,
    topics: readonly string[],
    options?: { signal?: AbortSignal | undefined; close?: (() => void) | undefined },
  ) {
    this.#core = core;
    this.topics = topics;
    // Its signal is watched from the next microtask on, and not at all once
    // `sseResponse` has connected it: its stream ends it then, and a listener
    // on every connection's signal is memory for nothing.
    this.#options = options;
    if (options) queueMicrotask(() => this.#watch());
  }

  #watch(): void {
    const options = this.#options;
    this.#options = undefined;
    if (!options || this.#outlet || this.#state === OVER) return;
    this.#close = options.close;
    const signal = options.signal;
    if (!signal) return;
    if (signal.aborted) {
      this.#end(false);
      return;
    }
    this.#signal = signal;
    this.#onAbort = () => this.#end(false);
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** @internal Replays what came after `lastEventId`, reading pages with `read`. */
  start(lastEventId: string, read: ReadPage): void {
    this.#lastEventId = this.#cursor = lastEventId;
    this.#read = read;
    this.#fetch();
  }

  /** @internal A live entry for one of its topics. */
  offer(entry: HubEntry): void {
    // Between pages of the replay the log holds it: a later page reads it.
    if (this.#cursor !== undefined && !this.#reading) return;
    if (this.#floor !== undefined) {
      if (this.#core.compare(entry.id, this.#floor) <= 0) return;
      this.#floor = undefined;
    }
    this.#push(entry, true);
  }

  /** @internal Ends after what is queued, plus `last` if given (hub close, connection age). */
  drain(last?: HubEntry): void {
    if (this.#state !== LIVE) return;
    if (last) this.#push(last, false);
    this.#state = ENDING;
    this.#core.detach(this);
    if (this.#outlet) this[RESUME]();
    else if (this.#resolve && !this.#reading) this.#finish();
  }

  /** @internal Ends now, dropping what is queued; closes the stream when it can. */
  end(): void {
    this.#end(true);
  }

  /** Messages waiting for this subscriber. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** The next message: replayed ones first, then live; waits while there is none. */
  next(): Promise<Result> {
    if (this.#state === OVER) return Promise.resolve(DONE);
    const entry = this.#reading ? undefined : this.#take();
    if (entry) return Promise.resolve({ done: false, value: entry.message });
    if (this.#state === ENDING && !this.#reading) {
      this.#finish();
      return Promise.resolve(DONE);
    }
    return new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Ends the subscription: called by `for await` on `break`, and by `sseResponse` on close. */
  return(): Promise<Result> {
    this.#end(false);
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** @internal `sseResponse` takes it as a source that writes by itself. */
  [OUTLET](outlet: Outlet): void {
    // Over already (the hub closed, an overflow, a signal): nothing to send.
    if (this.#state === OVER) outlet.ended();
    else this.#outlet = outlet;
  }

  /**
   * @internal Writes what waits (the replay, then live messages) while the stream's
   * consumer takes more: what is ready together goes in one write, up to
   * 64 KiB; one message alone is written as its shared bytes.
   */
  [RESUME](): void {
    const outlet = this.#outlet;
    while (outlet && !this.#reading && outlet.writable()) {
      const first = this.#take();
      if (!first) {
        if (this.#state === ENDING) this.#endOutlet();
        return;
      }
      let bytes = first.message.bytes;
      let next = bytes.length < WRITE_BYTES && !this.#reading ? this.#take() : undefined;
      if (next) {
        const parts = [bytes];
        let length = bytes.length;
        for (; next; next = length < WRITE_BYTES && !this.#reading ? this.#take() : undefined) {
          parts.push(next.message.bytes);
          length += next.message.bytes.length;
        }
        bytes = join(parts, length)!;
      }
      outlet.emit(bytes);
    }
  }

  /** The stream learns the subscription is over (it ends after what was written). */
  #endOutlet(): void {
    const outlet = this.#outlet;
    this.#finish();
    outlet?.ended();
  }

  /**
   * Reads the next page of the replay once the last one is taken, and at
   * once again after a page with nothing for this subscriber. An ending
   * subscription reads no more: its client resumes from its last id.
   */
  #fetch(): void {
    while (
      this.#cursor !== undefined &&
      this.#state === LIVE &&
      !this.#reading &&
      this.#replayAt >= this.#replay.length
    ) {
      let page: HubPage | Promise<HubPage>;
      try {
        page = this.#read!(this.#cursor);
      } catch (error) {
        page = Promise.reject(error);
      }
      if (!('then' in page)) {
        this.#paged(page);
        continue;
      }
      this.#reading = true;
      page.then(
        (result) => {
          this.#reading = false;
          this.#paged(result);
          this.#fetch();
          this.#wake();
        },
        (error) => {
          this.#reading = false;
          if (this.#state === OVER) return;
          this.#core.fail(error);
          this.#end(true);
        },
      );
      return;
    }
  }

  #paged({ entries, tooOld, head, next }: HubPage): void {
    if (this.#state === OVER) return;
    const core = this.#core;
    this.#replayAt = 0;
    if (tooOld) {
      this.#replay = [core.reset(this, this.#lastEventId, head)];
      this.#floor = head;
    } else {
      this.#replay = entries;
      if (next !== undefined && this.#state === LIVE) {
        // Every live entry queued meanwhile is in the log after this page's
        // cursor: this page or a later one delivers it.
        this.#cursor = next;
        this.#dropQueued(undefined);
        return;
      }
      this.#floor = entries.length > 0 ? entries[entries.length - 1]!.id : this.#cursor;
    }
    this.#cursor = this.#read = undefined;
    // Live entries queued meanwhile that the replay already holds go.
    if (this.#floor !== undefined) this.#dropQueued(this.#floor);
  }

  /** Drops the queued live entries up to `floor`, or all of them without one. */
  #dropQueued(floor: string | undefined): void {
    if (this.queued === 0) return;
    const core = this.#core;
    const kept = this.#queue.filter((entry, index): entry is HubEntry => {
      if (index < this.#head || !entry) return false;
      if (entry.id === '' || (floor !== undefined && core.compare(entry.id, floor) > 0)) {
        return true;
      }
      this.#bytes -= entry.message.bytes.length;
      return false;
    });
    this.#queue = kept;
    this.#head = 0;
    if (kept.some((entry) => entry.id !== '')) this.#floor = undefined;
  }

  #push(entry: HubEntry, bounded: boolean): void {
    if (this.#state !== LIVE) return;
    // Nothing waits ahead of it and the client takes more: straight through,
    // the same bytes every subscriber gets, nothing allocated.
    const outlet = this.#outlet;
    if (
      outlet &&
      !this.#reading &&
      this.#replayAt >= this.#replay.length &&
      this.queued === 0 &&
      outlet.writable()
    ) {
      this.#core.counts.delivered++;
      outlet.emit(entry.message.bytes);
      return;
    }
    if (this.#resolve && !this.#reading && this.#replayAt >= this.#replay.length) {
      const resolve = this.#resolve;
      this.#resolve = undefined;
      this.#core.counts.delivered++;
      resolve({ done: false, value: entry.message });
      return;
    }
    const size = entry.message.bytes.length;
    const { maxQueued, maxQueuedBytes, overflow, counts } = this.#core;
    if (bounded && (this.queued >= maxQueued || this.#bytes + size > maxQueuedBytes)) {
      const action =
        typeof overflow === 'function'
          ? overflow({ topics: this.topics, queued: this.queued, queuedBytes: this.#bytes, size })
          : overflow;
      if (action === 'disconnect') {
        counts.disconnected++;
        this.#end(true);
        return;
      }
      if (action !== 'drop-oldest' || size > maxQueuedBytes) {
        counts.dropped++;
        return;
      }
      while (this.queued > 0 && (this.queued >= maxQueued || this.#bytes + size > maxQueuedBytes)) {
        this.#shift();
        counts.dropped++;
      }
    }
    this.#queue.push(entry);
    this.#bytes += size;
  }

  #take(): HubEntry | undefined {
    const counts = this.#core.counts;
    if (this.#replayAt < this.#replay.length) {
      const entry = this.#replay[this.#replayAt++]!;
      // Let the page go once it is taken, and read the next one meanwhile.
      if (this.#replayAt === this.#replay.length) {
        this.#replay = NO_ENTRIES;
        this.#replayAt = 0;
        this.#fetch();
      }
      counts.delivered++;
      if (entry.id !== '') counts.replayed++;
      return entry;
    }
    const entry = this.#shift();
    if (entry) counts.delivered++;
    return entry;
  }

  #shift(): HubEntry | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const entry = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined;
    this.#bytes -= entry.message.bytes.length;
    // Reclaim the read part: all of it when empty, else once it is half the array.
    if (this.#head === this.#queue.length) this.#queue.length = this.#head = 0;
    else if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    return entry;
  }

  /** Hands the next message, or the end, to a `next()` that is waiting. */
  #wake(): void {
    if (this.#outlet) {
      this[RESUME]();
      return;
    }
    const resolve = this.#resolve;
    if (!resolve || this.#reading) return;
    const entry = this.#take();
    if (entry) {
      this.#resolve = undefined;
      resolve({ done: false, value: entry.message });
    } else if (this.#state === ENDING) this.#finish();
  }

  #end(closeStream: boolean): void {
    if (this.#state === OVER) return;
    const wasLive = this.#state === LIVE;
    const close = this.#close ?? this.#options?.close;
    const outlet = this.#outlet;
    this.#finish();
    if (wasLive) this.#core.detach(this);
    if (closeStream) outlet ? outlet.ended() : close?.();
  }

  #finish(): void {
    this.#state = OVER;
    this.#reading = false;
    this.#cursor = this.#read = undefined;
    this.#queue = [];
    this.#replay = NO_ENTRIES;
    this.#head = this.#bytes = this.#replayAt = 0;
    this.#signal?.removeEventListener('abort', this.#onAbort!);
    this.#signal = this.#close = this.#onAbort = this.#outlet = this.#options = undefined;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(DONE);
    this.#core.done(this);
  }
}
