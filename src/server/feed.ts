import { type OutletSource, RESUME } from '../wire/outlet.ts';

/**
 * @internal What a stream asks of whatever feeds it: a pulled source
 * (`PullFeed`) or a source that delivers by itself (`OutletFeed`).
 */
export interface Feed {
  /**
   * The consumer takes more: send what is ready. A promise while a read is
   * under way: it settles when the read sends something, ends, or has
   * nothing it may send now (the consumer is full, or `wake` was called).
   */
  demand(): PromiseLike<void> | void;
  /** The stream closes gracefully: send what the source handed over and is held. */
  settle?(): void;
  /** Settle the demand under way: the stream has more to send (its push writer queued). */
  wake?(): void;
  /** The stream closed: let go of the source, so its `finally` runs. Never waits. */
  stop(): void;
}

/** @internal Where a feed delivers: the stream it feeds. */
export interface FeedTarget {
  /** Sends bytes now. */
  emit(bytes: Uint8Array): void;
  /** The consumer takes bytes now. */
  writable(): boolean;
  /** The source failed. */
  fail(error: unknown): void;
  /** The source ended. */
  ended(): void;
}

/** @internal A source that delivers by itself (see wire/outlet.ts), as a feed. */
export class OutletFeed implements Feed {
  #source: OutletSource;

  constructor(source: OutletSource) {
    this.#source = source;
  }

  demand(): void {
    this.#source[RESUME]();
  }

  stop(): void {
    returnQuietly(this.#source);
  }
}

const noop = () => {};

/** @internal Calls `return()` (so a generator's `finally` runs) without waiting or throwing. */
export function returnQuietly(iterator: { return?(): unknown }): void {
  try {
    const returned = iterator.return?.() as PromiseLike<unknown> | undefined;
    if (typeof returned?.then === 'function') returned.then(noop, noop);
  } catch {
    // A return() that throws is the iterator's own affair.
  }
}
