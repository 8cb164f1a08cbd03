/**
 * Sources that deliver by themselves: a hub subscription already holds its
 * messages as shared, encoded bytes, and knows the moment one arrives. Pulled
 * like a generator, each message would cost a promise and a read per
 * subscriber; given an outlet, it writes the bytes straight through.
 *
 * The protocol between `sseResponse` and such a source:
 *
 * 1. A source is one when it has a method under `OUTLET`. `sseResponse`
 *    calls it once, with the stream's outlet, instead of iterating the
 *    source; it returns the source's `resume` function.
 * 2. The source calls `outlet.write(bytes)` only while `outlet.ready()` is
 *    true, with one or more whole messages (a source with several ready
 *    joins them into one write: a burst or a replay is one write). What it
 *    cannot write yet it keeps, under its own bounds.
 * 3. The stream calls `resume()` whenever the consumer can take more after
 *    `ready()` was false. `resume` writes what the source holds, then returns.
 * 4. The source ends the stream with `outlet.end()` (it has nothing more) or
 *    `outlet.fail(error)`. The stream, when it closes for any other reason,
 *    calls the source's `return()`, as for any iterator, and never calls
 *    `resume` again.
 */

/**
 * @internal What a stream offers a source that delivers by itself.
 */
export interface Outlet {
  /** The consumer takes bytes now. */
  ready(): boolean;
  /** One or more whole messages; only while `ready()`. */
  write(bytes: Uint8Array): void;
  /** The source has nothing more: the stream ends after what was written. */
  end(): void;
  /** The source failed: `onError`, then the stream closes. */
  fail(error: unknown): void;
}

/** @internal The method a source that delivers by itself has under this symbol. */
export const OUTLET = Symbol.for('ssekit.outlet/1');

/** @internal A source that delivers by itself. */
export interface OutletSource {
  [OUTLET](outlet: Outlet): () => void;
  return?(): unknown;
}

/** @internal Whether `source` delivers by itself. */
export function isOutletSource(source: unknown): source is OutletSource {
  return typeof (source as Partial<OutletSource> | null)?.[OUTLET] === 'function';
}
