/**
 * The direct path: how an adapter that owns a socket (Node, Bun) takes an
 * ssekit response's bytes without reading its `ReadableStream` body.
 *
 * A web stream costs a promise, a read request and garbage for every chunk
 * of every connection. On the direct path the engine writes the same bytes
 * straight into a sink the adapter gives it, and backpressure is the sink's
 * own: `write` returning `false` stops the source until `drained()`.
 *
 * The protocol, in the order an adapter uses it:
 *
 * 1. `const direct = directStream(response)`. `undefined` means "read the
 *    body as usual": the response was not made by `sseResponse` or
 *    `createEventStream`, was rebuilt by a middleware, or its body was
 *    already touched. The adapter must not read the body after step 3.
 * 2. The adapter sends the status and headers itself.
 * 3. `direct.attach(sink)`, once. Inside it the engine writes the preamble
 *    (the first byte, at once) and whatever the source has ready, and
 *    returns `true`. `false` means the stream finished before it could be
 *    attached (a source that ended or failed at once): its bytes are in the
 *    body, so read the body as usual; the sink is never called.
 * 4. From then on the engine calls `sink.write(bytes)` with whole messages
 *    (one message is never split over two writes, and nothing is ever
 *    written between the bytes of one). A write that returns `false` means
 *    "full": the engine writes nothing more, and reads no more of its
 *    source, until the adapter calls `direct.drained()`.
 * 5. The engine finishes exactly once, with `sink.end()` after a normal end
 *    (everything written was meant to arrive), `sink.fail()` when what was
 *    written must arrive but the end must read as broken (a relay that
 *    failed), or `sink.destroy()` when the connection must be cut and what
 *    is pending dropped (an overflowing client). After any of the three, it
 *    calls nothing on the sink.
 *    From `attach` on, the engine no longer watches the request's signal: the
 *    adapter reports everything that ends the connection (steps 5 and 6), a
 *    server shutdown included.
 * 6. The adapter calls `direct.cancel()` when the connection closes before
 *    the engine finished (the client left), or `direct.cancel('timeout')`
 *    when it cuts a client that accepted nothing for too long. The engine then
 *    runs its close path (`signal` aborts, the source's `return()`,
 *    `onClose` once) and calls nothing on the sink, not even `end()`.
 *
 * Calls in any other order are ignored: a second `attach`, `drained()` or
 * `cancel()` after the finish, or before `attach`.
 *
 * Internal, on purpose: every name here is marked so, none is in an entry,
 * and the build strips them from the published types. The adapters of this
 * package are its only users, so it changes with the engine: the request's
 * `ON_LEAVE` watch and `cancel('timeout')` each came with a change of the
 * engine after the first version. The `/1` on the registered symbols lets
 * two copies of ssekit in one process (an ESM and a CJS build) find each
 * other; it is not a promise to other code. Any other server takes the body
 * path, which every runtime has and which keeps every invariant; the direct
 * path saves only work that a server owning its socket would do, and
 * publishing it would fix the engine's inner calls for good.
 */

/**
 * @internal What an adapter hands the engine to write into: a socket's response.
 *
 * @example
 * ```ts
 * const sink: DirectSink = {
 *   write: (bytes) => res.write(bytes),
 *   end: () => res.end(),
 *   destroy: () => res.destroy(),
 * };
 * ```
 */
export interface DirectSink {
  /** Writes whole messages; `false` when the socket is full (wait for `drained()`). */
  write(bytes: Uint8Array): boolean;
  /** The stream ended: finish the response after what was written. */
  end(): void;
  /** The stream must be cut: drop what is pending, close the connection. */
  destroy(): void;
  /**
   * The stream failed (a relay's upstream or transform): deliver what was
   * written, then end the response so the client sees it broken (HTTP/1.1:
   * no last chunk; HTTP/2: a reset). Without it the engine calls `destroy()`.
   */
  fail?(): void;
}

/**
 * @internal The engine's side of the direct path, as an adapter sees it.
 *
 * @example
 * ```ts
 * const direct = directStream(response);
 * if (direct) {
 *   res.writeHead(response.status, headers);
 *   if (!direct.attach(sink)) return pumpBody(response.body, res);
 *   res.on('drain', () => direct.drained());
 *   res.once('close', () => res.writableEnded || direct.cancel());
 * }
 * ```
 */
export interface DirectStream {
  /** Starts writing into `sink` instead of the body (once; step 3); `false`: read the body. */
  attach(sink: DirectSink): boolean;
  /** The sink takes writes again after a `write` returned `false`. */
  drained(): void;
  /**
   * The connection closed before the stream finished; `'timeout'` when the
   * adapter cut a client that accepted nothing (told to `onClose`).
   */
  cancel(reason?: 'timeout'): void;
}

// A registered symbol: a response made by another copy of ssekit in the
// same process (an ESM and a CJS build, say) still takes the direct path.
const DIRECT = /* @__PURE__ */ Symbol.for('ssekit.direct/1');

// On an adapter's request: `request[ON_LEAVE](callback)` calls `callback`
// when the client leaves (or at once if it has), and returns what stops it.
// The engine watches that instead of making and listening to the request's
// `signal`: an abort listener on every connection is memory.
const ON_LEAVE = /* @__PURE__ */ Symbol.for('ssekit.on-leave/1');

/** @internal What an adapter's request offers under `ON_LEAVE` (see above). */
export type OnLeave = (callback: () => void) => () => void;

/** @internal The key an adapter's request puts its `OnLeave` under. */
export { ON_LEAVE };

/**
 * @internal Calls `callback` once when the client of `request` leaves, the
 * light way when its adapter offers one; returns what stops watching, or
 * `undefined` when there is nothing to watch.
 */
export function onLeave(
  request: Request | undefined,
  callback: () => void,
  watchSignal: (signal: AbortSignal) => (() => void) | undefined,
): (() => void) | undefined {
  if (!request) return undefined;
  const light = (request as { [ON_LEAVE]?: OnLeave })[ON_LEAVE];
  return typeof light === 'function' ? light.call(request, callback) : watchSignal(request.signal);
}

/** @internal Marks `response` as one whose bytes `stream` can write directly. */
export function offerDirect(response: Response, stream: DirectStream): Response {
  Object.defineProperty(response, DIRECT, { value: stream });
  return response;
}

/**
 * @internal The direct writer of a response made by `sseResponse` or
 * `createEventStream`, or `undefined`: then read its body as usual. See the
 * protocol at the top of this file.
 *
 * @example
 * ```ts
 * const direct = directStream(response);
 * if (!direct) return pumpBody(response.body, res);
 * ```
 */
export function directStream(response: Response): DirectStream | undefined {
  const stream = (response as Response & { [DIRECT]?: DirectStream })[DIRECT];
  if (!stream || response.bodyUsed || response.body?.locked) return undefined;
  return stream;
}
