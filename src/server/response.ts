import { SSEOptionError } from '../errors.ts';
import type { EventMap, Serialize, SSEItem } from '../types.ts';
import { describe } from '../wire/encode.ts';
import { lastEventIdFrom } from './last-event-id.ts';
import {
  type CloseInfo,
  EventStream,
  type MessageData,
  type OverflowPolicy,
  type StreamOptions,
} from './stream.ts';

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
  /** Bytes the queue takes before it overflows (`maxBufferedBytes` minus what is queued). */
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
 */
export type SSESource<Events extends EventMap = EventMap> =
  | ((context: SSEContext<Events>) => SourceResult<Events>)
  | PullSource<Events>;

type PullSource<Events extends EventMap> =
  | AsyncIterable<SSEItem<Events>>
  | Iterable<SSEItem<Events>>
  | ReadableStream<SSEItem<Events>>;
type SourceResult<Events extends EventMap> = PullSource<Events> | PromiseLike<unknown> | void;

/**
 * Options of `sseResponse` and `createEventStream`.
 *
 * @example
 * ```ts
 * sseResponse(source, {
 *   request,                 // Last-Event-ID and disconnect detection
 *   heartbeat: 15_000,       // a comment after 15 s of silence; false turns it off
 *   retry: 2_000,            // sent first: clients wait 2 s before reconnecting
 *   headers: { 'access-control-allow-origin': '*' },
 *   onError: (error) => ({ event: 'error', data: 'try again later' }),
 *   onClose: ({ reason }) => console.log('closed:', reason),
 * });
 * ```
 */
export interface SSEResponseInit {
  /** The incoming request: its `Last-Event-ID` and its `signal` (client gone) are used. */
  request?: Request;
  /** Closes the stream gracefully when it aborts (server shutdown). */
  signal?: AbortSignal;
  /** Response status. Default 200 (the only one `EventSource` accepts). */
  status?: number;
  /** Extra response headers, merged over the defaults. */
  headers?: HeadersInit;
  /** Milliseconds of silence before a `:` comment is sent; `false` for none. Default 15000. */
  heartbeat?: number | false;
  /** A `retry` field sent first, in milliseconds. */
  retry?: number;
  /** Turns non-string `data` into text. Default `JSON.stringify`. */
  serialize?: Serialize;
  /** Also accept `Last-Event-ID` from this query parameter (for polyfills). Off by default. */
  lastEventIdParam?: string;
  /** Bytes push writes may queue while the client is behind. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** What a push write does when the queue is full. Default `'close'`: the client resumes with Last-Event-ID. */
  overflow?: OverflowPolicy;
  /**
   * Told when the source throws. The error text never reaches the client; the
   * stream closes, after the message this returns, if any. Default: `console.error`.
   */
  onError?: (error: unknown) => SSEItem<any> | undefined | void;
  /** Called exactly once when the stream closes, with the reason. */
  onClose?: (info: CloseInfo) => void;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];
const NULL_BODY_STATUS = [101, 103, 204, 205, 304];

/**
 * A streaming `Response` of server-sent events from `source`. It can be
 * returned from any fetch handler: Workers, `Deno.serve`, `Bun.serve`, Node
 * through `ssekit/node`, Hono, h3, Elysia, Next.js and others.
 *
 * The stream ends when the source ends, when the client leaves, or on
 * `close()`. Headers and a first chunk are sent at once; the source is read
 * only as fast as the client reads.
 *
 * @example
 * ```ts
 * export default {
 *   fetch: (request: Request) =>
 *     sseResponse(async function* ({ signal }) {
 *       while (!signal.aborted) {
 *         yield { event: 'time', data: new Date().toISOString() };
 *         await sleep(1000, signal);
 *       }
 *     }, { request }),
 * };
 * ```
 */
export function sseResponse<Events extends EventMap = EventMap>(
  source: SSESource<Events>,
  init: SSEResponseInit = {},
): Response {
  checkSource(source);
  const { stream, response } = open<Events>(init);
  try {
    const result = typeof source === 'function' ? source(stream as SSEContext<Events>) : source;
    if (isReadableStream(result)) {
      const reader = result.getReader();
      stream.readFrom({ next: () => reader.read(), return: () => reader.cancel() }, false);
    } else if (isObject(result) && Symbol.asyncIterator in result) {
      stream.readFrom(result[Symbol.asyncIterator](), false);
    } else if (isObject(result) && Symbol.iterator in result) {
      stream.readFrom(result[Symbol.iterator](), true);
    } else {
      stream.endWith(result);
    }
  } catch (error) {
    stream.fail(error);
  }
  return response;
}

/**
 * A stream to write to from anywhere, for code that keeps connections and
 * writes later (a notification feed with a map of clients). The stream stays
 * open until `writer.close()`, the client leaving, or the `signal` option.
 *
 * @example
 * ```ts
 * const clients = new Map<string, SSEWriter>();
 * function handle(request: Request, user: string) {
 *   const { response, writer } = createEventStream({ request });
 *   clients.set(user, writer);
 *   writer.closed.then(() => clients.delete(user));
 *   return response;
 * }
 * clients.get('ada')?.event('notification', { text: 'hi' });
 * ```
 */
export function createEventStream<Events extends EventMap = EventMap>(
  init: SSEResponseInit = {},
): { response: Response; writer: SSEWriter<Events> } {
  const { stream, response } = open<Events>(init);
  return { response, writer: stream as SSEWriter<Events> };
}

function open<Events extends EventMap>(init: SSEResponseInit) {
  const options = validate(init);
  const headers = responseHeaders(init.headers);
  const stream = new EventStream<Events>(options);
  return { stream, response: new Response(stream.body, { status: init.status ?? 200, headers }) };
}

function responseHeaders(extra: HeadersInit | undefined): Headers {
  const headers = new Headers({
    'content-type': 'text/event-stream; charset=utf-8',
    // no-transform: proxies and CDNs must not compress or rewrite the stream.
    'cache-control': 'no-cache, no-transform',
    // nginx buffers proxied responses unless told not to.
    'x-accel-buffering': 'no',
  });
  if (extra === undefined) return headers;
  let given: Headers;
  try {
    given = new Headers(extra);
  } catch (cause) {
    throw new SSEOptionError(`headers: ${(cause as Error).message}`, { cause });
  }
  for (const [name, value] of given) {
    if (HOP_BY_HOP.includes(name)) {
      throw new SSEOptionError(
        `headers: remove '${name}'. It is a hop-by-hop header: HTTP/2 forbids it (Node's http2 throws, Safari drops the stream) and the server sets what HTTP/1.1 needs.`,
      );
    }
    headers.set(name, value);
  }
  return headers;
}

function validate(init: SSEResponseInit): StreamOptions {
  if (!isObject(init))
    throw new SSEOptionError(`The options must be an object, got ${describe(init)}.`);
  const { status = 200, heartbeat = 15_000, retry, maxBufferedBytes = 1024 * 1024 } = init;
  if (
    !Number.isInteger(status) ||
    status < 200 ||
    status > 599 ||
    NULL_BODY_STATUS.includes(status)
  ) {
    throw new SSEOptionError(
      `status must be an HTTP status from 200 to 599 that allows a body, got ${describe(status)}. EventSource accepts only 200.`,
    );
  }
  if (
    heartbeat !== false &&
    !(typeof heartbeat === 'number' && heartbeat > 0 && heartbeat < 2 ** 31)
  ) {
    throw new SSEOptionError(
      `heartbeat must be a number of milliseconds above 0, or false to turn it off, got ${describe(heartbeat)}.`,
    );
  }
  if (retry !== undefined && !(Number.isSafeInteger(retry) && retry >= 0)) {
    throw new SSEOptionError(
      `retry must be a whole number of milliseconds, 0 or more, got ${describe(retry)}.`,
    );
  }
  if (!(Number.isSafeInteger(maxBufferedBytes) && maxBufferedBytes > 0)) {
    throw new SSEOptionError(
      `maxBufferedBytes must be a whole number above 0, got ${describe(maxBufferedBytes)}.`,
    );
  }
  const overflow = init.overflow ?? 'close';
  if (
    typeof overflow !== 'function' &&
    !['close', 'drop-oldest', 'drop-newest'].includes(overflow)
  ) {
    throw new SSEOptionError(
      `overflow must be 'close', 'drop-oldest', 'drop-newest' or a function, got ${describe(overflow)}.`,
    );
  }
  for (const name of ['serialize', 'onError', 'onClose'] as const) {
    if (init[name] !== undefined && typeof init[name] !== 'function') {
      throw new SSEOptionError(`${name} must be a function, got ${describe(init[name])}.`);
    }
  }
  // Duck-typed: frameworks and test runners bring their own Request and
  // AbortSignal classes, from other realms.
  if (init.request !== undefined && typeof init.request?.headers?.get !== 'function') {
    throw new SSEOptionError(`request must be a Request, got ${describe(init.request)}.`);
  }
  if (init.signal !== undefined && typeof init.signal?.addEventListener !== 'function') {
    throw new SSEOptionError(`signal must be an AbortSignal, got ${describe(init.signal)}.`);
  }
  if (
    init.lastEventIdParam !== undefined &&
    (typeof init.lastEventIdParam !== 'string' || !init.lastEventIdParam)
  ) {
    throw new SSEOptionError(
      `lastEventIdParam must be a non-empty string, got ${describe(init.lastEventIdParam)}.`,
    );
  }
  return {
    request: init.request,
    signal: init.signal,
    lastEventId:
      init.request && lastEventIdFrom(init.request, { queryParam: init.lastEventIdParam }),
    heartbeat,
    retry,
    maxBufferedBytes,
    overflow,
    serialize: init.serialize,
    onError: init.onError,
    onClose: init.onClose,
  };
}

function checkSource(source: unknown): void {
  if (
    typeof source === 'function' ||
    isReadableStream(source) ||
    (isObject(source) && (Symbol.asyncIterator in source || Symbol.iterator in source))
  ) {
    return;
  }
  throw new SSEOptionError(
    `The source must be a function (an async generator or a push function), an iterable, an async iterable or a ReadableStream of messages, got ${describe(source)}.`,
  );
}

function isReadableStream(value: unknown): value is ReadableStream {
  return typeof (value as ReadableStream)?.getReader === 'function';
}

function isObject(value: unknown): value is Record<PropertyKey, any> {
  return typeof value === 'object' && value !== null;
}
