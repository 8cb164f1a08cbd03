import type { EncodeOptions } from '../wire/encode.ts';
import type { Serialize, SSEItem } from '../wire/message.ts';

// The public option types of `sseResponse` and `createEventStream`, and
// what their callbacks are told. Checked, with their defaults, in
// response-checks.ts.

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
  maxQueuedBytes?: number;
  /** @deprecated Renamed `maxQueuedBytes`, as the hub's; this name goes in the next release. */
  maxBufferedBytes?: number;
  /**
   * What a push write does when the queue is full. Default `'disconnect'`:
   * the queue is dropped, the connection cut, and the client resumes with
   * Last-Event-ID.
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
 * What the push writer does when a write would exceed `maxQueuedBytes`, in
 * the hub's words: `'disconnect'` the client (what is queued is dropped, the
 * body errors so the connection is cut, and the client resumes with
 * Last-Event-ID), drop the oldest queued messages, or drop the new one.
 * `'close'` is the deprecated name of `'disconnect'`, accepted until the
 * next release.
 *
 * @example
 * ```ts
 * createEventStream({ overflow: 'drop-oldest' }); // a ticker: only the latest matters
 * ```
 */
export type OverflowAction = 'disconnect' | 'drop-oldest' | 'drop-newest' | 'close';

/**
 * What an overflow callback receives.
 *
 * @example
 * ```ts
 * const overflow = ({ size, queuedBytes }: OverflowInfo) =>
 *   size + queuedBytes > 4 * 1024 * 1024 ? 'disconnect' : 'drop-oldest';
 * ```
 */
export interface OverflowInfo {
  /** Bytes of the message that did not fit. */
  size: number;
  /** Bytes already waiting for the client. */
  queuedBytes: number;
  /** The bound that would be exceeded. */
  maxQueuedBytes: number;
  /** @deprecated Renamed `queuedBytes`, as the hub's; this name goes in the next release. */
  bufferedBytes: number;
  /** @deprecated Renamed `maxQueuedBytes`; this name goes in the next release. */
  maxBufferedBytes: number;
}

/**
 * The overflow policy: one of the actions, or a function that picks one for
 * each overflowing write (returning nothing drops the new message).
 *
 * @example
 * ```ts
 * createEventStream({
 *   overflow: (info) => (important(info) ? 'disconnect' : 'drop-newest'),
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
  maxQueuedBytes: number;
  overflow: OverflowPolicy;
  onError: ((error: unknown) => SSEItem<any> | undefined | void) | undefined;
  onClose: ((info: CloseInfo) => void) | undefined;
  /** The source failing cuts the stream (see {@link CUT_ON_ERROR}) rather than closing it. */
  cutOnError: boolean;
}

/**
 * @internal A key of `sseResponse`'s options, for `transformEvents` only:
 * when the source fails, the body ends broken (after what was read) rather
 * than closed, so a client can tell an upstream or transform error from a
 * finished stream. Not a public option: a symbol no user code holds.
 */
export const CUT_ON_ERROR = Symbol('cutOnError');
