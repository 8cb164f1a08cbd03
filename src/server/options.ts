import { SSEOptionError } from '../errors.ts';
import type { Serialize, SSEItem } from '../types.ts';
import { describe, type EncodeOptions, MAX_RETRY } from '../wire/encode.ts';
import { lastEventIdFrom } from './last-event-id.ts';

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
  /** A `retry` field sent first, in milliseconds: a whole number from 0 to 2^31-1. */
  retry?: number;
  /** Turns non-string `data` into text. Default `JSON.stringify`. */
  serialize?: Serialize;
  /** Also accept `Last-Event-ID` from this query parameter (for polyfills). Off by default. */
  lastEventIdParam?: string;
  /** Bytes push writes may queue while the client is behind. Default 1 MiB. */
  maxBufferedBytes?: number;
  /**
   * What a push write does when the queue is full. Default `'close'`: the
   * queue is dropped, the connection cut, and the client resumes with Last-Event-ID.
   */
  overflow?: OverflowPolicy;
  /**
   * Told when the source throws. The error text never reaches the client; the
   * stream closes, after the message this returns, if any. Default: `console.error`.
   */
  onError?: (error: unknown) => SSEItem<any> | undefined | void;
  /** Called exactly once when the stream closes, with the reason. */
  onClose?: (info: CloseInfo) => void;
}

/**
 * Why a stream closed, as told to `onClose`.
 *
 * @example
 * ```ts
 * sseResponse(source, {
 *   onClose: ({ reason }) => reason === 'disconnect' && metrics.clientsLeft.inc(),
 * });
 * ```
 */
export type CloseReason =
  /** The source ended: the generator returned, the iterable ran out, the push function settled. */
  | 'end'
  /** `close()` was called on the context or writer. */
  | 'close'
  /** The client went away: the body was cancelled or `request.signal` aborted. */
  | 'disconnect'
  /**
   * The client accepted no bytes for the adapter's write timeout (`writeTimeout`
   * of `ssekit/node`): its connection was destroyed and the body cancelled
   * with a `TimeoutError`.
   */
  | 'timeout'
  /** The `signal` option aborted (a server shutdown, say). */
  | 'abort'
  /** The source threw; `onError` was told. */
  | 'error'
  /**
   * A push write found the bounded queue full and the overflow policy closed
   * the stream: what was queued is dropped and the body ends with an error,
   * so the runtime cuts the connection; the client resumes with Last-Event-ID.
   */
  | 'overflow';

/**
 * What `onClose` receives.
 *
 * @example
 * ```ts
 * const onClose = ({ reason, error }: CloseInfo) => log.info({ reason, error });
 * ```
 */
export interface CloseInfo {
  reason: CloseReason;
  /** The source's error, for `reason: 'error'`. */
  error?: unknown;
}

/**
 * What the push writer does when a write would exceed `maxBufferedBytes`:
 * close the stream (what is queued is dropped, the body errors so the
 * connection is cut, and the client resumes with Last-Event-ID), drop the
 * oldest queued messages, or drop the new one.
 *
 * @example
 * ```ts
 * createEventStream({ overflow: 'drop-oldest' }); // a ticker: only the latest matters
 * ```
 */
export type OverflowAction = 'close' | 'drop-oldest' | 'drop-newest';

/**
 * What an overflow callback receives.
 *
 * @example
 * ```ts
 * const overflow = ({ size, bufferedBytes }: OverflowInfo) =>
 *   size + bufferedBytes > 4 * 1024 * 1024 ? 'close' : 'drop-oldest';
 * ```
 */
export interface OverflowInfo {
  /** Bytes of the message that did not fit. */
  size: number;
  /** Bytes already waiting for the client. */
  bufferedBytes: number;
  /** The bound that would be exceeded. */
  maxBufferedBytes: number;
}

/**
 * The overflow policy: one of the actions, or a function that picks one for
 * each overflowing write (returning nothing drops the new message).
 *
 * @example
 * ```ts
 * createEventStream({
 *   overflow: (info) => (important(info) ? 'close' : 'drop-newest'),
 * });
 * ```
 */
export type OverflowPolicy = OverflowAction | ((info: OverflowInfo) => OverflowAction | undefined);

/** @internal Options of a stream, validated. */
export interface StreamOptions extends EncodeOptions {
  request: Request | undefined;
  signal: AbortSignal | undefined;
  lastEventId: string | undefined;
  heartbeat: number | false;
  retry: number | undefined;
  maxBufferedBytes: number;
  overflow: OverflowPolicy;
  onError: ((error: unknown) => SSEItem<any> | undefined | void) | undefined;
  onClose: ((info: CloseInfo) => void) | undefined;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];
const NULL_BODY_STATUS = [101, 103, 204, 205, 304];

/** @internal The response headers: the event-stream defaults, then the caller's. */
export function responseHeaders(extra: HeadersInit | undefined): Headers {
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

/** @internal Checks every option and throws SSEOptionError for the first bad one. */
export function validate(init: SSEResponseInit): StreamOptions {
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
  if (retry !== undefined && !(Number.isInteger(retry) && retry >= 0 && retry <= MAX_RETRY)) {
    throw new SSEOptionError(
      `retry must be a whole number of milliseconds from 0 to ${MAX_RETRY}, got ${describe(retry)}.`,
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

/** @internal */
export function isObject(value: unknown): value is Record<PropertyKey, any> {
  return typeof value === 'object' && value !== null;
}
