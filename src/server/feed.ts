import type { EncodeOptions } from '../wire/encode.ts';
import { type OutletSource, RESUME } from '../wire/outlet.ts';
import { type BatchOutput, type Pulled, type PullIterator, readBatch } from './batch.ts';

/**
 * @internal What a stream asks of whatever feeds it: a pulled source
 * (`PullFeed`) or a source that delivers by itself (`OutletFeed`).
 */
export interface Feed {
  /** The consumer takes more: send what is ready; a promise while a read is under way. */
  demand(): PromiseLike<void> | void;
  /** The stream closed: let go of the source, so its `finally` runs. Never waits. */
  stop(): void;
}

/** @internal Where a feed delivers: the stream it feeds. */
export interface FeedTarget extends BatchOutput {
  /** The source failed. */
  fail(error: unknown): void;
  /** The source ended. */
  ended(): void;
}

/**
 * @internal Reads a generator, an iterator or a stream reader one batch per
 * demand: whatever is ready, encoded as one chunk (see `readBatch`).
 */
export class PullFeed implements Feed {
  #iterator: PullIterator | undefined;
  #sync: boolean;
  #pending: Pulled | undefined;
  #target: FeedTarget;
  #options: EncodeOptions;
  #isClosed: () => boolean;

  constructor(
    iterator: PullIterator,
    sync: boolean,
    target: FeedTarget,
    options: EncodeOptions,
    isClosed: () => boolean,
  ) {
    this.#iterator = iterator;
    this.#sync = sync;
    this.#target = target;
    this.#options = options;
    this.#isClosed = isClosed;
  }

  demand(): PromiseLike<void> | void {
    const iterator = this.#iterator;
    if (!iterator) return;
    const pending = this.#pending;
    this.#pending = undefined;
    return this.#read(iterator, pending);
  }

  stop(): void {
    const iterator = this.#iterator;
    this.#iterator = this.#pending = undefined;
    if (iterator) returnQuietly(iterator);
  }

  async #read(iterator: PullIterator, pending: Pulled | undefined): Promise<void> {
    const target = this.#target;
    const batch = await readBatch(
      iterator,
      this.#sync,
      pending,
      this.#options,
      this.#isClosed,
      target,
    );
    if (!batch) return;
    this.#pending = batch.pending;
    // A finished iterator has nothing to return(); an unfinished one is
    // returned by the close path, so its `finally` runs.
    if (batch.finished) this.#iterator = undefined;
    if (batch.bytes) target.emit(batch.bytes);
    if (batch.failure) target.fail(batch.failure.error);
    else if (batch.finished) target.ended();
  }
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
