import type { EventMap, SSEItem } from '../wire/message.ts';

/**
 * The `data` type of a default (`message`) event in a stream typed by
 * `Events`: `unknown` when untyped, `never` when the map has no `message`.
 *
 * @example
 * ```ts
 * type Data = MessageData<{ message: string; tick: number }>; // string
 * ```
 */
export type MessageData<Events extends EventMap> = string extends keyof Events
  ? unknown
  : 'message' extends keyof Events
    ? Events['message']
    : never;

/**
 * The push side of a stream: what a push-style source writes through, and
 * what `createEventStream` hands out. The methods are bound, so they can be
 * destructured or stored. Every write returns `true` when the message was
 * accepted and `false` when it was dropped or the stream is closed; writes
 * after close are no-ops. Invalid fields throw `SSEFieldError` before anything
 * is written.
 *
 * @example
 * ```ts
 * const { response, writer } = createEventStream({ request });
 * writer.event('greeting', { hello: 'world' }, { id: 1 });
 * writer.comment('still here');
 * await writer.ready; // backpressure: wait while the client is behind
 * ```
 */
export interface SSEWriter<Events extends EventMap = EventMap> {
  /** Sends `data` as an event named `event` (the Go `SSEWriter.Event`). */
  event<Name extends keyof Events & string>(
    event: Name,
    data: Events[Name],
    fields?: { id?: string | number; retry?: number },
  ): boolean;
  /** Sends a default `message` event (`SSEWriter.Data`). */
  data(data: MessageData<Events>): boolean;
  /** Sends a comment line (`SSEWriter.Comment`). */
  comment(text: string): boolean;
  /** Sets the client's reconnection delay in ms (`SSEWriter.Retry`). */
  retry(ms: number): boolean;
  /** Sends one whole message, or a string as `data`. */
  send(message: SSEItem<Events>): boolean;
  /** Ends the stream once what is queued is sent. Idempotent. */
  close(): void;
  /** Waits `ms`, or less if the stream closes; `false` when it closed. */
  sleep(ms: number): Promise<boolean>;
  /** Aborts when the stream closes for any reason. */
  readonly signal: AbortSignal;
  /** Resolves when the stream has closed, for any reason. */
  readonly closed: Promise<void>;
  /** Resolves when the queue has room again. */
  readonly ready: Promise<void>;
  /** Bytes the queue takes before it overflows (`maxQueuedBytes` minus what is queued). */
  readonly desiredSize: number;
  /** The validated `Last-Event-ID` of the request, if any. */
  readonly lastEventId: string | undefined;
}

/**
 * What a source function receives: the writer, plus the request.
 *
 * @example
 * ```ts
 * sseResponse(async function* ({ signal, lastEventId, request }) {
 *   const from = Number(lastEventId ?? 0);
 *   for (let n = from + 1; !signal.aborted; n++) {
 *     yield { id: n, data: n };
 *     await sleep(1000, signal);
 *   }
 * }, { request });
 * ```
 */
export interface SSEContext<Events extends EventMap = EventMap> extends SSEWriter<Events> {
  /** The request passed in the options, if any. */
  readonly request: Request | undefined;
}

/**
 * Everything `sseResponse` can stream.
 * - A function called with the context that returns an async or sync
 *   iterable (an `async function*` is the usual one) or a `ReadableStream`:
 *   read as the client reads, ended when it ends.
 * - A push function that writes through the context and returns a promise:
 *   the stream ends when that promise settles. To stay open until the client
 *   leaves, `await ctx.closed`.
 * - An async or sync iterable, or a `ReadableStream` of messages, directly.
 *
 * @example
 * ```ts
 * const ticker: SSESource = async function* ({ signal }) {
 *   for (let n = 0; !signal.aborted; n++) {
 *     yield { event: 'tick', data: n };
 *     await sleep(1000, signal);
 *   }
 * };
 * const pushed: SSESource = async (ctx) => {
 *   const off = bus.on('order', (order) => ctx.event('order', order));
 *   await ctx.closed;
 *   off();
 * };
 * ```
 */
export type SSESource<Events extends EventMap = EventMap> =
  | ((context: SSEContext<Events>) => SourceResult<Events>)
  | PullSource<Events>;

type PullSource<Events extends EventMap> =
  | AsyncIterable<SSEItem<Events>>
  | Iterable<SSEItem<Events>>
  | ReadableStream<SSEItem<Events>>;
type SourceResult<Events extends EventMap> = PullSource<Events> | PromiseLike<unknown> | void;
