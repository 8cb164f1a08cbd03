import { isObject, isPlainObject, isPromiseLike } from '../checks.ts';
import type { EventReader, EventStep } from '../client/event-reader.ts';
import { later } from '../server/pull-feed.ts';
import { type EncodeOptions, encodeMessage } from '../wire/encode.ts';
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
 */
export function relaySource(
  reader: EventReader,
  steps: ItemStep[],
  options?: EncodeOptions,
): OutletSource {
  let outlet!: Outlet;
  // Encoded, not yet written: the consumer was full, or a step is awaited.
  let text = '';
  // Stopped until the consumer takes more, with the step read meanwhile.
  let paused = false;
  let held: EventStep | undefined;
  let flushing = false;
  // How the relay ends once `text` is written: `[]` the upstream's end,
  // `[error]` a failure. `over` once told to the stream (or it closed).
  let last: [] | [unknown] | undefined;
  let over = false;

  // Writes what is encoded if the consumer takes it now; `true`: all written.
  const flush = (): boolean => {
    if (text && !over && outlet.writable()) {
      const chunk = encoder.encode(text);
      text = '';
      try {
        outlet.emit(chunk);
      } catch {
        // A consumer that throws is gone: its adapter closes the stream.
      }
    }
    return !text;
  };
  // While a step's promise is awaited, what is encoded goes once the
  // microtasks run out; a demand meanwhile leaves it to that flush.
  const flushSoon = (): void => {
    if (flushing) return;
    flushing = true;
    later(() => {
      flushing = false;
      resume();
    });
  };
  const finish = (ending: [] | [unknown]): void => {
    last ??= ending;
    // The rest when the consumer takes more; and a demand made from inside
    // the write may have finished already.
    if (over || !flush() || over) return;
    over = true;
    if (last.length) outlet.fail(last[0]);
    else outlet.ended();
  };
  const fail = (error: unknown): void => finish([error]);
  // `item` through the steps from `index` on, encoded into `text` unless a
  // step dropped it; a promise where a step returned one. `id` is the one
  // to carry: the event's, or the last a step set.
  const run = (item: unknown, index: number, id: SSEEvent['id']): Promise<void> | undefined => {
    for (let i = index; i < steps.length; i++) {
      const out = steps[i]!(item);
      if (isPromiseLike(out)) {
        return Promise.resolve(out).then((value) =>
          value === undefined ? undefined : run(value, i + 1, idOf(value, id)),
        );
      }
      if (out === undefined) return;
      item = out;
      id = idOf(item, id);
    }
    text += encodeMessage(outgoing(item, id) as SSEItem<any>, options);
  };
  // A chunk's events made a batch the consumer does not take now: stop.
  const full = (): boolean => text.length >= BATCH_UNITS && !(flush() && outlet.writable());
  // A chunk read while the consumer was full waits for it, in hand.
  const arrived = (step: EventStep): void => {
    if (flush()) {
      pump(step);
    } else {
      held = step;
      paused = true;
    }
  };
  // The events at hand, one after another, until the relay must wait: for
  // the next chunk, a step's promise, or a consumer that is full.
  const pump = (step?: EventStep | Promise<EventStep>): void => {
    try {
      for (;;) {
        if (over || last) return;
        step ??= reader.next();
        if (step instanceof Promise) {
          flush(); // what this chunk made goes now, while the next is read
          step.then(arrived, fail);
          return;
        }
        if (step.done) {
          finish([]);
          return;
        }
        const waiting = run(step.value, 0, step.value.id);
        step = undefined;
        if (waiting) {
          flushSoon();
          waiting.then(() => (full() ? void (paused = true) : pump()), fail);
          return;
        }
        if (full()) {
          paused = true;
          return;
        }
      }
    } catch (error) {
      fail(error);
    }
  };
  // The consumer takes more: what is encoded first, then the end, or more events.
  const resume = (): void => {
    if (over || flushing || !flush()) return;
    if (last) finish(last);
    else if (paused && outlet.writable()) {
      const step = held;
      paused = false;
      held = undefined;
      pump(step);
    }
  };
  return {
    [OUTLET](stream: Outlet) {
      outlet = stream;
      pump();
    },
    [RESUME]: () => resume(),
    return() {
      over = true;
      text = '';
      held = undefined;
      reader.close();
    },
  };
}

// The id a step's output sets, if it says one, or the one carried so far.
function idOf(item: unknown, id: SSEEvent['id']): SSEEvent['id'] {
  return isObject(item) && 'id' in item ? item.id : id;
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
