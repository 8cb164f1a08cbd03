import { isObject, isPlainObject, isPromiseLike } from '../checks.ts';
import type { EventReader, EventStep } from '../client/event-reader.ts';
import { later } from '../server/pull-feed.ts';
import { type EncodeOptions, encodeFields, encodeMessage } from '../wire/encode.ts';
import type { SSEEvent } from '../wire/event.ts';
import type { SSEItem } from '../wire/message.ts';
import { OUTLET, type Outlet, type OutletSource, RESUME } from '../wire/outlet.ts';
import type { ItemStep } from './message-transforms.ts';

const encoder = new TextEncoder();
// What the events of one upstream chunk may make before they wait for the
// consumer, in UTF-16 units: a fetch body's chunks are at most 64 KiB, so a
// chunk's events are one write, and a map that makes each event much larger
// still holds at most this much (and the event at hand) per stream.
const BATCH_UNITS = 64 * 1024;

/**
 * @internal The source of a relay whose stages are all `filterEvents` and
 * `mapEvents`: a source that delivers by itself (see wire/outlet.ts). The
 * events of each upstream chunk run through the steps one at a time, with no
 * stream between stages and no promise or iterator step per event, and are
 * encoded as they come out: what one chunk made is one write, sent as the
 * next chunk is read. A promise only to read a chunk, or where a step
 * returned one (what came before is sent once the microtasks run out, so
 * the events of a chunk that an async map resolves at once are still one
 * write).
 *
 * Bounded: while the consumer is full, the relay stops with at most one
 * chunk's events encoded and the next chunk read, or at about 64 Ki
 * characters within a chunk. A step that throws (or whose promise rejects),
 * an upstream error and a parser limit fail the stream once what came before
 * is written: the response ends broken. `return()` (the stream closed: the
 * client left) lets the upstream go.
 *
 * A class, as the hub's subscription: its state is one object, where
 * closures over it would cost a context and a function each, about 0.8 KiB
 * a relayed stream.
 */
export class RelaySource implements OutletSource {
  readonly #reader: EventReader;
  readonly #steps: ItemStep[];
  readonly #options: EncodeOptions | undefined;
  #outlet!: Outlet;
  // Encoded, not yet written: the consumer was full, or a step is awaited.
  #text = '';
  // Stopped until the consumer takes more, with the step read meanwhile.
  #paused = false;
  #held: EventStep | undefined;
  #flushing = false;
  // How the relay ends once `#text` is written: `[]` the upstream's end,
  // `[error]` a failure. `#over` once told to the stream (or it closed).
  #last: [] | [unknown] | undefined;
  #over = false;

  constructor(reader: EventReader, steps: ItemStep[], options?: EncodeOptions) {
    this.#reader = reader;
    this.#steps = steps;
    this.#options = options;
  }

  [OUTLET](outlet: Outlet): void {
    this.#outlet = outlet;
    this.#pump();
  }

  // The consumer takes more: what is encoded first, then the end, or more events.
  [RESUME](): void {
    if (this.#over || this.#flushing || !this.#flush()) return;
    if (this.#last) this.#finish(this.#last);
    else if (this.#paused && this.#outlet.writable()) {
      const step = this.#held;
      this.#paused = false;
      this.#held = undefined;
      this.#pump(step);
    }
  }

  return(): void {
    this.#over = true;
    this.#text = '';
    this.#held = undefined;
    this.#reader.close();
  }

  // Writes what is encoded if the consumer takes it now; `true`: all written.
  #flush(): boolean {
    if (this.#text && !this.#over && this.#outlet.writable()) {
      const chunk = encoder.encode(this.#text);
      this.#text = '';
      try {
        this.#outlet.emit(chunk);
      } catch {
        // A consumer that throws is gone: its adapter closes the stream.
      }
    }
    return !this.#text;
  }

  // While a step's promise is awaited, what is encoded goes once the
  // microtasks run out; a demand meanwhile leaves it to that flush.
  #flushSoon(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    later(() => {
      this.#flushing = false;
      this[RESUME]();
    });
  }

  #finish(ending: [] | [unknown]): void {
    const last = (this.#last ??= ending);
    // The rest when the consumer takes more; and a demand made from inside
    // the write may have finished already.
    if (this.#over || !this.#flush() || this.#over) return;
    this.#over = true;
    if (last.length) this.#outlet.fail(last[0]);
    else this.#outlet.ended();
  }

  #fail(error: unknown): void {
    this.#finish([error]);
  }

  // `item` through the steps from `index` on, encoded into `#text` unless a
  // step dropped it; a promise where a step returned one. `id` is the one
  // to carry: the event's, or the last a step set.
  #run(item: unknown, index: number, id: SSEEvent['id']): Promise<void> | undefined {
    const steps = this.#steps;
    for (let i = index; i < steps.length; i++) {
      const out = steps[i]!(item);
      if (isPromiseLike(out)) {
        return Promise.resolve(out).then((value) =>
          value === undefined ? undefined : this.#run(value, i + 1, idOf(value, id)),
        );
      }
      if (out === undefined) return;
      item = out;
      id = idOf(item, id);
    }
    this.#text += encodeOutgoing(item, id, this.#options);
  }

  // A chunk's events made a batch the consumer does not take now: stop.
  #full(): boolean {
    return this.#text.length >= BATCH_UNITS && !(this.#flush() && this.#outlet.writable());
  }

  // A chunk read while the consumer was full waits for it, in hand.
  #arrived(step: EventStep): void {
    if (this.#flush()) {
      this.#pump(step);
    } else {
      this.#held = step;
      this.#paused = true;
    }
  }

  // The events at hand, one after another, until the relay must wait: for
  // the next chunk, a step's promise, or a consumer that is full.
  #pump(step?: EventStep | Promise<EventStep>): void {
    try {
      for (;;) {
        if (this.#over || this.#last) return;
        step ??= this.#reader.next();
        if (step instanceof Promise) {
          this.#flush(); // what this chunk made goes now, while the next is read
          step.then(
            (read) => this.#arrived(read),
            (error) => this.#fail(error),
          );
          return;
        }
        if (step.done) {
          this.#finish([]);
          return;
        }
        const waiting = this.#run(step.value, 0, step.value.id);
        step = undefined;
        if (waiting) {
          this.#flushSoon();
          waiting.then(
            () => (this.#full() ? void (this.#paused = true) : this.#pump()),
            (error) => this.#fail(error),
          );
          return;
        }
        if (this.#full()) {
          this.#paused = true;
          return;
        }
      }
    } catch (error) {
      this.#fail(error);
    }
  }
}

// The id a step's output sets, if it says one, or the one carried so far.
function idOf(item: unknown, id: SSEEvent['id']): SSEEvent['id'] {
  return isObject(item) && 'id' in item ? item.id : id;
}

/**
 * The wire text of `outgoing(item, id)`, for a plain object without the
 * message object made to pass its fields (`id` is the one carried, the
 * item's own if it says one).
 */
function encodeOutgoing(item: unknown, id: SSEEvent['id'], options?: EncodeOptions): string {
  if (!isPlainObject(item)) return encodeMessage(outgoing(item, id) as SSEItem<any>, options);
  const { event, data, retry, comment } = item;
  return encodeFields(event === 'message' ? undefined : event, data, id, retry, comment, options);
}

/**
 * @internal A relayed item as it is sent: a message without an `id` takes the
 * one carried (the upstream event's, or the last a step set), text too; an
 * event parsed without an `event` field goes back without one (the bytes
 * stay as the upstream sent them). A message is rebuilt with the fields the
 * encoder reads only when one of those changes; anything but a plain object
 * (an EncodedMessage, an instance of a class) is sent as it is.
 */
export function outgoing(item: unknown, id?: SSEEvent['id']): unknown {
  if (typeof item === 'string') return id === undefined ? item : { data: item, id };
  if (!isObject(item)) return item;
  const own = 'id' in item;
  if (((own || id === undefined) && item.event !== 'message') || !isPlainObject(item)) return item;
  const { event, data, retry, comment } = item;
  return {
    event: event === 'message' ? undefined : event,
    data,
    id: own ? item.id : id,
    retry,
    comment,
  };
}
