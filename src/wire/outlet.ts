/**
 * Sources that deliver by themselves: a hub subscription already holds its
 * messages as shared, encoded bytes, and knows the moment one arrives. Pulled
 * like a generator, each message would cost a promise and a read per
 * subscriber; given an outlet, it writes the bytes straight through.
 *
 * The protocol between `sseResponse` and such a source:
 *
 * 1. A source is one when it has a method under `OUTLET`. `sseResponse`
 *    calls it once, with the stream as the outlet, instead of iterating it.
 * 2. The source calls `outlet.emit(bytes)` only while `outlet.writable()` is
 *    true, with one or more whole messages (a source with several ready
 *    joins them into one write: a burst or a replay is one write). What it
 *    cannot write yet it keeps, under its own bounds.
 * 3. The stream calls the source's `RESUME` method whenever the consumer can
 *    take more after `writable()` was false. It writes what the source
 *    holds, then returns.
 * 4. The source ends the stream with `outlet.ended()` (it has nothing more)
 *    or `outlet.fail(error)`. The stream, when it closes for any other
 *    reason, calls the source's `return()`, as for any iterator, and never
 *    resumes it again.
 *
 * Registered symbols, so that another copy of ssekit in the same process (an
 * ESM and a CJS build) speaks the same protocol.
 */

/**
 * @internal What a stream offers a source that delivers by itself: the
 * stream itself, so an idle connection holds no extra object for it.
 */
export interface Outlet {
  /** The consumer takes bytes now. */
  writable(): boolean;
  /** One or more whole messages; only while `writable()`. */
  emit(bytes: Uint8Array): void;
  /** The source has nothing more: the stream ends after what was written. */
  ended(): void;
  /** The source failed: `onError`, then the stream closes. */
  fail(error: unknown): void;
}

/** @internal The method that connects a source that delivers by itself. */
export const OUTLET = /* @__PURE__ */ Symbol.for('ssekit.outlet/1');
/** @internal The method the stream calls when its consumer takes more again. */
export const RESUME = /* @__PURE__ */ Symbol.for('ssekit.resume/1');

/** @internal A source that delivers by itself. */
export interface OutletSource {
  [OUTLET](outlet: Outlet): void;
  [RESUME](): void;
  return?(): unknown;
}

/** @internal Whether `source` delivers by itself. */
export function isOutletSource(source: unknown): source is OutletSource {
  return typeof (source as Partial<OutletSource> | null)?.[OUTLET] === 'function';
}
