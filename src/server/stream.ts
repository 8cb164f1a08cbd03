import { sleep } from '../signal.ts';
import { join } from '../wire/bytes.ts';
import { encodeComment, encodeMessage, retryText } from '../wire/encode.ts';
import { encodedBytes } from '../wire/encoded.ts';
import type { EventMap, SSEItem } from '../wire/message.ts';
import { OUTLET, type Outlet, type OutletSource } from '../wire/outlet.ts';
import type { MessageData } from './context.ts';
import { type DirectSink, type DirectStream, onLeave } from './direct.ts';
import { type Feed, type FeedTarget, OutletFeed, returnQuietly } from './feed.ts';
import { PullFeed, type PullIterator } from './pull-feed.ts';
import type { CloseInfo, OverflowInfo, StreamOptions } from './response-options.ts';
import { onAbort } from './signal-watch.ts';

const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(':\n\n');

/**
 * @internal The engine behind `sseResponse` and `createEventStream`: the
 * bounded queue for push writes, the heartbeat and the one close path, over
 * one of two outputs: the `ReadableStream` body (pulled by whoever reads it)
 * or a direct sink an adapter attached (see `direct.ts`). What feeds it, a
 * pulled source or one that delivers by itself, is a `Feed`.
 *
 * It is also the context handed to sources and the writer handed to callers,
 * so its methods are bound arrow functions that survive destructuring
 * (`async function* ({ signal, event })`).
 */
export class EventStream<Events extends EventMap = EventMap>
  implements FeedTarget, DirectStream, Outlet
{
  readonly request: Request | undefined;
  readonly lastEventId: string | undefined;

  #options: StreamOptions;
  // The body's controller; let go on the direct path, where the body is
  // never read (and so the body and its Response can be collected).
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #preamble: Uint8Array;
  // The direct path: the sink, and whether it takes writes now.
  #sink: DirectSink | undefined;
  #writable = false;
  #feeding = false;
  #fed: (() => void) | undefined;
  #writes = 0;
  // Made when first asked for: a hub connection never reads most of these,
  // and ten thousand idle connections each holding them is memory.
  #abort: AbortController | undefined;
  #closeReason: DOMException | undefined;
  #closed: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  #bound: Partial<
    Record<'event' | 'data' | 'comment' | 'retry' | 'send' | 'close' | 'sleep', unknown>
  > = {};
  #done = false;
  #unwatchRequest: (() => void) | undefined;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #ready: Promise<void> | undefined;
  // A failed relay's body, erred at the next read once its queue is read.
  #cutAtPull: DOMException | undefined;
  #resolveReady: (() => void) | undefined;
  #feed: Feed | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastWrite = 0;
  #cleanups: (() => void)[] = [];

  constructor(options: StreamOptions) {
    this.#options = options;
    this.request = options.request;
    this.lastEventId = options.lastEventId;
    // First byte at once: runtimes that hold headers until the first chunk
    // (Bun, Node) send them now, whatever the source does.
    this.#preamble =
      options.retry === undefined ? HEARTBEAT : encoder.encode(`retry: ${options.retry}\n\n`);
    // The request's signal tells of a client that left; on the direct path
    // the adapter tells, and the watch goes at attach.
    const unwatch = onLeave(
      options.request,
      () => this.#finish({ reason: 'disconnect' }, false),
      (signal) => this.#listen(signal, 'disconnect'),
    );
    if (unwatch) this.#cleanups.push(unwatch);
    this.#unwatchRequest = unwatch;
    this.#listen(options.signal, 'abort');
    if (options.heartbeat !== false && !this.#done) this.#schedule(options.heartbeat);
  }

  /**
   * @internal The body for the `Response`, made once: the stream keeps no
   * reference to it, only to its controller.
   */
  createBody(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
          this.#enqueue(this.#preamble);
          // Closed before its body existed (a signal already aborted): the
          // body ends after its first byte.
          if (this.#done) controller.close();
        },
        pull: (controller) => {
          if (this.#cutAtPull) controller.error(this.#cutAtPull);
          else return this.#demand();
        },
        // A consumer that gave up on a client accepting nothing (the Node
        // adapter's writeTimeout) says so with a TimeoutError.
        cancel: (why) => this.#finish({ reason: isTimeout(why) ? 'timeout' : 'disconnect' }, false),
      },
      { highWaterMark: 0 },
    );
  }

  /** Aborts when the stream closes, for any reason. Pass it to everything you await. */
  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.#closeReason) this.#abort.abort(this.#closeReason);
    }
    return this.#abort.signal;
  }

  /** Resolves when the stream has closed, for any reason. */
  get closed(): Promise<void> {
    if (this.#closed) return this.#closed;
    if (this.#done) return (this.#closed = Promise.resolve());
    return (this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve)));
  }

  /** Bytes the push queue can take before it overflows; 0 or less means wait for `ready`. */
  get desiredSize(): number {
    return this.#options.maxQueuedBytes - this.#queuedBytes;
  }

  /** Resolves when `desiredSize` is above 0 again (or the stream closed). */
  get ready(): Promise<void> {
    if (this.#done || this.desiredSize > 0) return Promise.resolve();
    return (this.#ready ??= new Promise((resolve) => (this.#resolveReady = resolve)));
  }

  // The writer's methods are bound, so they survive destructuring, and made
  // on first use.

  /** Sends `data` as an event named `event`. Returns false if it was not queued. */
  get event(): <Name extends keyof Events & string>(
    event: Name,
    data: Events[Name],
    fields?: { id?: string | number; retry?: number },
  ) => boolean {
    return (this.#bound.event ??= (event: string, data: unknown, fields?: object) =>
      this.#send({ ...fields, event, data })) as never;
  }

  /** Sends a default (`message`) event. */
  get data(): (data: MessageData<Events>) => boolean {
    return (this.#bound.data ??= (data: unknown) => this.#send({ data })) as never;
  }

  /** Sends a comment: ignored by clients, seen by proxies. */
  get comment(): (text: string) => boolean {
    return (this.#bound.comment ??= (text: string) =>
      this.#done ? false : this.#write(encoder.encode(encodeComment(text)))) as never;
  }

  /** Tells the client how long to wait before reconnecting, in milliseconds. */
  get retry(): (ms: number) => boolean {
    return (this.#bound.retry ??= (ms: number) =>
      this.#done ? false : this.#write(encoder.encode(`retry: ${retryText(ms)}\n\n`))) as never;
  }

  /** Sends one message (or a string as `data`). Throws on invalid fields, before writing. */
  get send(): (message: SSEItem<Events>) => boolean {
    return (this.#bound.send ??= (message: SSEItem<any>) => this.#send(message)) as never;
  }

  /** Ends the stream after what is queued has been sent. Idempotent. */
  get close(): () => void {
    return (this.#bound.close ??= () => this.#finish({ reason: 'close' }, true)) as never;
  }

  /** Waits `ms`, or less if the stream closes; resolves `false` when it closed. */
  get sleep(): (ms: number) => Promise<boolean> {
    return (this.#bound.sleep ??= (ms: number) => sleep(ms, this.signal)) as never;
  }

  /** @internal Starts reading a pull source (iterator, generator, stream reader). */
  readFrom(iterator: PullIterator): void {
    if (this.#done) returnQuietly(iterator);
    // One closure per stream, not one per pull that stays alive while it waits.
    else this.#feed = new PullFeed(iterator, this, this.#options, () => this.#done);
  }

  /** @internal Takes a source that delivers by itself (see `wire/outlet.ts`). */
  connect(source: OutletSource): void {
    if (this.#done) return void returnQuietly(source);
    // The feed first: a source that is already over ends the stream at once.
    this.#feed = new OutletFeed(source);
    source[OUTLET](this);
  }

  /** @internal The consumer takes bytes now: what an outlet source asks before it writes. */
  writable(): boolean {
    return !this.#done && this.#queuedBytes === 0 && this.#takesMore();
  }

  /** @internal Ends the stream when a push function's promise settles. */
  endWith(result: unknown): void {
    Promise.resolve(result).then(
      () => this.ended(),
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

  /** @internal The source ended. */
  ended(): void {
    this.#finish({ reason: 'end' }, true);
  }

  /** @internal Bytes a feed read for the consumer, after what the push queue holds. */
  emit(bytes: Uint8Array): void {
    if (this.#done) return;
    if (this.#queuedBytes > 0) this.#flushQueue();
    this.#enqueue(bytes);
  }

  // The direct path (see direct.ts for the protocol).

  /** @internal An adapter writes this stream into `sink` instead of reading the body. */
  attach(sink: DirectSink): boolean {
    // Finished already: what it wrote is in the body, and the body tells.
    if (this.#sink || this.#done) return false;
    this.#sink = sink;
    this.#controller = undefined; // the body is never read: let it go
    // The adapter tells of a client that left (cancel): the request's signal
    // need not be watched, and ten thousand watches are memory.
    this.#unwatchRequest?.();
    this.#unwatchRequest = undefined;
    this.#writable = sink.write(this.#preamble);
    this.#lastWrite = Date.now();
    this.#drive();
    return true;
  }

  /** @internal The sink takes writes again. */
  drained(): void {
    if (!this.#sink || this.#done) return;
    this.#writable = true;
    this.#releaseReady();
    this.#drive();
  }

  /** @internal The connection closed before the stream finished (`'timeout'`: cut for accepting nothing). */
  cancel(reason?: 'timeout'): void {
    if (!this.#sink || this.#done) return;
    this.#sink = undefined; // gone: nothing more is written into it, not even end()
    this.#finish({ reason: reason ?? 'disconnect' }, false);
  }

  /** Closes the stream when `signal` aborts; returns what stops watching it. */
  #listen(
    signal: AbortSignal | undefined,
    reason: 'disconnect' | 'abort',
  ): (() => void) | undefined {
    if (!signal) return;
    if (signal.aborted) {
      this.#finish({ reason }, reason === 'abort');
      return;
    }
    const unwatch = onAbort(signal, () => this.#finish({ reason }, reason === 'abort'));
    this.#cleanups.push(unwatch);
    return unwatch;
  }

  #send(message: SSEItem<any>): boolean {
    if (this.#done) return false;
    const bytes = encodedBytes(message) ?? encoder.encode(encodeMessage(message, this.#options));
    return this.#write(bytes);
  }

  /** Whether the output takes a chunk now: the reader took everything, or the sink is not full. */
  #takesMore(): boolean {
    return this.#sink ? this.#writable : this.#controller?.desiredSize === 0;
  }

  #enqueue(bytes: Uint8Array): void {
    this.#writes++;
    this.#lastWrite = Date.now();
    if (this.#sink) this.#writable = this.#sink.write(bytes);
    else this.#controller?.enqueue(bytes);
  }

  #write(bytes: Uint8Array): boolean {
    // Straight through when the consumer has taken everything; otherwise into
    // the bounded queue, whole messages only, so a message is one chunk.
    if (this.#queuedBytes === 0 && this.#takesMore()) {
      this.#enqueue(bytes);
      return true;
    }
    const { maxQueuedBytes, overflow } = this.#options;
    if (this.#queuedBytes + bytes.length > maxQueuedBytes) {
      const action =
        typeof overflow === 'function'
          ? overflow(overflowInfo(bytes.length, this.#queuedBytes, maxQueuedBytes))
          : overflow;
      // 'close': the deprecated name of 'disconnect'.
      if (action === 'disconnect' || action === 'close') {
        this.#finish({ reason: 'overflow' }, false);
        return false;
      }
      if (action !== 'drop-oldest' || bytes.length > maxQueuedBytes) return false;
      while (this.#queuedBytes + bytes.length > maxQueuedBytes) {
        this.#queuedBytes -= this.#queue.shift()!.length;
      }
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    // A read under way must not keep the stream from asking again for this.
    this.#feed?.wake?.();
    return true;
  }

  #flushQueue(): void {
    const queue = this.#queue;
    this.#queue = [];
    const bytes = this.#queuedBytes;
    this.#queuedBytes = 0;
    this.#enqueue(join(queue, bytes)!);
    this.#releaseReady();
  }

  #releaseReady(): void {
    const resolve = this.#resolveReady;
    this.#ready = this.#resolveReady = undefined;
    resolve?.();
  }

  /**
   * The consumer takes more: the push queue first, then the feed. The body's
   * `pull` on the stream path; `#drive` on the direct path.
   */
  #demand(): PromiseLike<void> | void {
    if (this.#queuedBytes > 0) return this.#flushQueue();
    if (this.#done) return;
    return this.#feed?.demand();
  }

  /**
   * The direct path's reader: demands while the sink takes more. A demand
   * that reads (a promise) drives again when it settles; one that sends
   * nothing waits for the source to write by itself.
   */
  #drive(): void {
    while (!this.#done && this.#writable && !this.#feeding) {
      const writes = this.#writes;
      const reading = this.#demand();
      if (reading) {
        this.#feeding = true;
        this.#fed ??= () => {
          this.#feeding = false;
          this.#drive();
        };
        reading.then(this.#fed, this.#fed);
        return;
      }
      if (this.#writes === writes) return;
    }
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      const interval = this.#options.heartbeat as number;
      const idle = Date.now() - this.#lastWrite;
      if (idle < interval) return this.#schedule(interval - idle);
      // Only between chunks, and only when nothing is waiting for the client:
      // a stalled client gets no pile of heartbeats.
      if (this.#queuedBytes === 0 && this.#takesMore()) this.#enqueue(HEARTBEAT);
      this.#schedule(interval);
    }, delay);
  }

  /** The one close path: every way a stream ends comes here, once. */
  #finish(info: CloseInfo, flush: boolean): void {
    if (this.#done) return;
    // A graceful close sends what a read holds first: events the source
    // yielded before it closed the stream.
    if (flush) this.#feed?.settle?.();
    this.#done = true;
    clearTimeout(this.#timer);
    for (const cleanup of this.#cleanups) cleanup();
    this.#cleanups = [];
    const reason = new DOMException(`The event stream closed (${info.reason}).`, 'AbortError');
    try {
      // An overflow is a client that stopped reading: what it did not take is
      // let go, not flushed, and the connection is cut rather than left to
      // hold a backlog for it (an errored body makes the runtime cut it). It
      // resumes with Last-Event-ID.
      if (info.reason === 'overflow') {
        if (this.#sink) this.#sink.destroy();
        else this.#controller?.error(reason);
      } else {
        if (flush && this.#queuedBytes > 0) this.#flushQueue();
        // A relay whose upstream or transform failed: what was read goes
        // out, then the body ends broken, so the client can tell it from a
        // stream that finished.
        const cut = info.reason === 'error' && this.#options.cutOnError;
        const sink = this.#sink;
        if (sink) cut ? (sink.fail ?? sink.destroy).call(sink) : sink.end();
        else if (!cut) this.#controller?.close();
        else if (this.#controller?.desiredSize === 0) this.#controller.error(reason);
        // Chunks wait in the body's queue: error it at the read after them.
        else this.#cutAtPull = reason;
      }
    } catch {
      // Already cancelled by the consumer: nothing left to deliver.
    }
    this.#sink = undefined;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#releaseReady();
    this.#closeReason = reason;
    this.#abort?.abort(reason);
    const feed = this.#feed;
    this.#feed = undefined;
    // Never awaited: a generator parked on an await that never settles must
    // not hold the stream, the close callbacks or anything of ours.
    feed?.stop();
    this.#resolveClosed?.();
    try {
      this.#options.onClose?.(info);
    } catch (error) {
      reportError(error);
    }
  }
}

/** What an overflow callback is told, under the new names and the deprecated ones. */
function overflowInfo(size: number, queuedBytes: number, maxQueuedBytes: number): OverflowInfo {
  return {
    size,
    queuedBytes,
    maxQueuedBytes,
    bufferedBytes: queuedBytes,
    maxBufferedBytes: maxQueuedBytes,
  };
}

function isTimeout(reason: unknown): boolean {
  return (reason as DOMException | undefined)?.name === 'TimeoutError';
}

function reportError(error: unknown): undefined {
  console.error('ssekit: an event source failed and its stream was closed:', error);
  return undefined;
}
