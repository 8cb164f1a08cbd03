import type { EventMap, SSEItem } from '../types.ts';
import { encodeComment, encodeMessage, retryText } from '../wire/encode.ts';
import { EncodedMessage } from '../wire/encoded.ts';
import { join, type Pulled, type PullIterator, readBatch } from './batch.ts';
import type { MessageData } from './context.ts';
import type { CloseInfo, StreamOptions } from './options.ts';
import { onAbort, sleep } from './signal.ts';

const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(':\n\n');
const noop = () => {};

/**
 * @internal The engine behind `sseResponse` and `createEventStream`: a
 * pull-driven byte stream, a bounded queue for push writes, the heartbeat and
 * the one close path. It is also the context handed to sources and the writer
 * handed to callers, so its methods are bound arrow functions that survive
 * destructuring (`async function* ({ signal, event })`).
 */
export class EventStream<Events extends EventMap = EventMap> {
  readonly body: ReadableStream<Uint8Array>;
  readonly request: Request | undefined;
  readonly lastEventId: string | undefined;
  readonly closed: Promise<void>;

  #options: StreamOptions;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #abort = new AbortController();
  #done = false;
  #resolveClosed!: () => void;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #ready: Promise<void> | undefined;
  #resolveReady: (() => void) | undefined;
  #wake: (() => void) | undefined;
  #iterator: PullIterator | undefined;
  #sync = false;
  #pending: PromiseLike<Pulled> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastWrite = 0;
  #cleanups: (() => void)[] = [];
  // One closure per stream, not one per pull that stays alive while it waits.
  #isClosed = () => this.#done;

  constructor(options: StreamOptions) {
    this.#options = options;
    this.request = options.request;
    this.lastEventId = options.lastEventId;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
          // First byte at once: runtimes that hold headers until the first
          // chunk (Bun, Node) send them now, whatever the source does.
          const preamble =
            options.retry === undefined ? HEARTBEAT : encoder.encode(`retry: ${options.retry}\n\n`);
          this.#enqueue(preamble);
        },
        pull: () => this.#pull(),
        // A consumer that gave up on a client accepting nothing (the Node
        // adapter's writeTimeout) says so with a TimeoutError.
        cancel: (why) => this.#finish({ reason: isTimeout(why) ? 'timeout' : 'disconnect' }, false),
      },
      { highWaterMark: 0 },
    );
    this.#listen(options.request?.signal, 'disconnect');
    this.#listen(options.signal, 'abort');
    if (options.heartbeat !== false && !this.#done) this.#schedule(options.heartbeat);
  }

  /** Aborts when the stream closes, for any reason. Pass it to everything you await. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Bytes the push queue can take before it overflows; 0 or less means wait for `ready`. */
  get desiredSize(): number {
    return this.#options.maxBufferedBytes - this.#queuedBytes;
  }

  /** Resolves when `desiredSize` is above 0 again (or the stream closed). */
  get ready(): Promise<void> {
    if (this.#done || this.desiredSize > 0) return Promise.resolve();
    return (this.#ready ??= new Promise((resolve) => (this.#resolveReady = resolve)));
  }

  /** Sends `data` as an event named `event`. Returns false if it was not queued. */
  event = <Name extends keyof Events & string>(
    event: Name,
    data: Events[Name],
    fields?: { id?: string | number; retry?: number },
  ): boolean => this.#send({ ...fields, event, data });

  /** Sends a default (`message`) event. */
  data = (data: MessageData<Events>): boolean => this.#send({ data });

  /** Sends a comment: ignored by clients, seen by proxies. */
  comment = (text: string): boolean =>
    this.#done ? false : this.#write(encoder.encode(encodeComment(text)));

  /** Tells the client how long to wait before reconnecting, in milliseconds. */
  retry = (ms: number): boolean =>
    this.#done ? false : this.#write(encoder.encode(`retry: ${retryText(ms)}\n\n`));

  /** Sends one message (or a string as `data`). Throws on invalid fields, before writing. */
  send = (message: SSEItem<Events>): boolean => this.#send(message);

  /** Ends the stream after what is queued has been sent. Idempotent. */
  close = (): void => this.#finish({ reason: 'close' }, true);

  /** Waits `ms`, or less if the stream closes; resolves `false` when it closed. */
  sleep = (ms: number): Promise<boolean> => sleep(ms, this.#abort.signal);

  /** @internal Starts reading a pull source (iterator, generator, stream reader). */
  readFrom(iterator: PullIterator, sync: boolean): void {
    if (this.#done) {
      returnQuietly(iterator);
      return;
    }
    this.#iterator = iterator;
    this.#sync = sync;
  }

  /** @internal Ends the stream when a push function's promise settles. */
  endWith(result: unknown): void {
    Promise.resolve(result).then(
      () => this.#finish({ reason: 'end' }, true),
      (error) => this.fail(error),
    );
  }

  /** @internal The source failed: tell `onError`, send its final event if any, close. */
  fail(error: unknown): void {
    if (this.#done) return;
    let last: SSEItem<any> | undefined | void;
    try {
      last = this.#options.onError ? this.#options.onError(error) : reportError(error);
      if (last !== undefined) this.#write(encoder.encode(encodeMessage(last, this.#options)));
    } catch (hookError) {
      reportError(hookError);
    }
    this.#finish({ reason: 'error', error }, true);
  }

  #listen(signal: AbortSignal | undefined, reason: 'disconnect' | 'abort'): void {
    if (!signal) return;
    if (signal.aborted) {
      this.#finish({ reason }, reason === 'abort');
      return;
    }
    this.#cleanups.push(onAbort(signal, () => this.#finish({ reason }, reason === 'abort')));
  }

  #send(message: SSEItem<any>): boolean {
    if (this.#done) return false;
    const bytes =
      message instanceof EncodedMessage
        ? message.bytes
        : encoder.encode(encodeMessage(message, this.#options));
    return this.#write(bytes);
  }

  #enqueue(bytes: Uint8Array): void {
    this.#controller.enqueue(bytes);
    this.#lastWrite = Date.now();
    const wake = this.#wake;
    if (wake) {
      this.#wake = undefined;
      wake();
    }
  }

  #write(bytes: Uint8Array): boolean {
    // Straight through when the consumer has taken everything; otherwise into
    // the bounded queue, whole messages only, so a message is one chunk.
    if (this.#queuedBytes === 0 && this.#controller.desiredSize === 0) {
      this.#enqueue(bytes);
      return true;
    }
    const { maxBufferedBytes, overflow } = this.#options;
    if (this.#queuedBytes + bytes.length > maxBufferedBytes) {
      const action =
        typeof overflow === 'function'
          ? overflow({ size: bytes.length, bufferedBytes: this.#queuedBytes, maxBufferedBytes })
          : overflow;
      if (action === 'close') {
        this.#finish({ reason: 'overflow' }, false);
        return false;
      }
      if (action !== 'drop-oldest' || bytes.length > maxBufferedBytes) return false;
      while (this.#queuedBytes + bytes.length > maxBufferedBytes) {
        this.#queuedBytes -= this.#queue.shift()!.length;
      }
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    return true;
  }

  #flushQueue(): void {
    const queue = this.#queue;
    this.#enqueue(join(queue, this.#queuedBytes)!);
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#releaseReady();
  }

  #releaseReady(): void {
    const resolve = this.#resolveReady;
    this.#ready = this.#resolveReady = undefined;
    resolve?.();
  }

  #pull(): PromiseLike<void> | void {
    if (this.#queuedBytes > 0) return this.#flushQueue();
    if (this.#done) return;
    const iterator = this.#iterator;
    if (!iterator) return new Promise((resolve) => (this.#wake = resolve));
    let pending = this.#pending;
    this.#pending = undefined;
    // A hub subscription waits for its first message the light way too: an
    // idle connection holds no batch reader's frames.
    if (!pending && iterator._idle?.()) pending = iterator.next() as PromiseLike<Pulled>;
    if (pending && iterator._idle) return pending.then(this.#takeOne, this.#takeError);
    return this.#read(iterator, pending);
  }

  // A hub subscription's next message goes out as its shared bytes, with no
  // batch around it: a broadcast runs this once per subscriber, and what a
  // batch allocates, times thousands in flight at once, is GC work.
  // Bound once per stream for the same reason.
  #takeOne = (result: Pulled): PromiseLike<void> | void => {
    const iterator = this.#iterator;
    if (this.#done || !iterator) return;
    const item = result.value;
    if (result.done || !(item instanceof EncodedMessage) || !iterator._idle?.()) {
      return this.#read(iterator, Promise.resolve(result));
    }
    let failure: { error: unknown } | undefined;
    try {
      this.#pending = iterator.next() as PromiseLike<Pulled>;
    } catch (error) {
      failure = { error };
    }
    if (this.#queuedBytes > 0) this.#flushQueue();
    this.#enqueue(item.bytes);
    if (failure) {
      this.#iterator = undefined; // as a batch whose next() threw: sent, then failed
      this.fail(failure.error);
    }
  };
  #takeError = (error: unknown): PromiseLike<void> | void =>
    this.#done || !this.#iterator ? undefined : this.#read(this.#iterator, Promise.reject(error));

  async #read(iterator: PullIterator, pending: PromiseLike<Pulled> | undefined): Promise<void> {
    const batch = await readBatch(iterator, this.#sync, pending, this.#options, this.#isClosed);
    if (!batch) return;
    this.#pending = batch.pending;
    if (this.#queuedBytes > 0) this.#flushQueue();
    if (batch.bytes) this.#enqueue(batch.bytes);
    // A finished iterator has nothing to return(); an unfinished one is
    // returned by the close path, so its `finally` runs.
    if (batch.finished) this.#iterator = undefined;
    if (batch.failure) this.fail(batch.failure.error);
    else if (batch.finished) this.#finish({ reason: 'end' }, true);
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      const interval = this.#options.heartbeat as number;
      const idle = Date.now() - this.#lastWrite;
      if (idle < interval) return this.#schedule(interval - idle);
      // Only between chunks, and only when nothing is waiting for the client:
      // a stalled client gets no pile of heartbeats.
      if (this.#queuedBytes === 0 && this.#controller.desiredSize === 0) {
        this.#enqueue(HEARTBEAT);
      }
      this.#schedule(interval);
    }, delay);
  }

  /** The one close path: every way a stream ends comes here, once. */
  #finish(info: CloseInfo, flush: boolean): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    for (const cleanup of this.#cleanups) cleanup();
    this.#cleanups = [];
    const reason = new DOMException(`The event stream closed (${info.reason}).`, 'AbortError');
    try {
      // An overflow is a client that stopped reading: what it did not take is
      // let go, not flushed, and an errored body makes the runtime cut the
      // connection rather than hold a backlog for it. It resumes with Last-Event-ID.
      if (info.reason === 'overflow') this.#controller.error(reason);
      else {
        if (flush && this.#queuedBytes > 0) this.#flushQueue();
        this.#controller.close();
      }
    } catch {
      // Already cancelled by the consumer: nothing left to deliver.
    }
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#releaseReady();
    this.#wake?.();
    this.#wake = undefined;
    this.#abort.abort(reason);
    const iterator = this.#iterator;
    this.#iterator = this.#pending = undefined;
    // Never awaited: a generator parked on an await that never settles must
    // not hold the stream, the close callbacks or anything of ours.
    if (iterator) returnQuietly(iterator);
    this.#resolveClosed();
    try {
      this.#options.onClose?.(info);
    } catch (error) {
      reportError(error);
    }
  }
}

/** Calls `return()` (so a generator's `finally` runs) without waiting or throwing. */
function returnQuietly(iterator: PullIterator): void {
  try {
    const returned = iterator.return?.() as PromiseLike<unknown> | undefined;
    if (typeof returned?.then === 'function') returned.then(noop, noop);
  } catch {
    // A return() that throws is the iterator's own affair.
  }
}

function isTimeout(reason: unknown): boolean {
  return (reason as DOMException | undefined)?.name === 'TimeoutError';
}

function reportError(error: unknown): undefined {
  console.error('ssekit: an event source failed and its stream was closed:', error);
  return undefined;
}
