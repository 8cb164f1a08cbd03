import { isObject, isPromiseLike } from '../checks.ts';
import type { EventReader, EventStep } from '../client/event-reader.ts';
import type { Pulled, PullIterator } from '../server/pull-feed.ts';
import type { SSEEvent } from '../wire/event.ts';
import type { SSEItem } from '../wire/message.ts';
import type { ItemStep } from './message-transforms.ts';

const DONE: Pulled = { value: undefined, done: true };

/**
 * @internal The source of a relay whose stages are all `filterEvents` and
 * `mapEvents`: the upstream's events run through their steps one at a time,
 * with no stream between stages, and what comes out is what `sseResponse`
 * sends. One pass per event: `next()` hands over a message at once while the
 * upstream chunk read last holds events and every step answers at once; a
 * promise only to read the next chunk, or where a step returned one.
 *
 * A step that throws (or whose promise rejects) makes `next()` throw: the
 * relay fails, and the stream ends broken, after what came before. `return()`
 * lets the upstream body go (the client left).
 */
export function relaySource(reader: EventReader, steps: ItemStep[]): PullIterator {
  // `item` through the steps from `index` on; `undefined` when one dropped it.
  const run = (
    item: unknown,
    index: number,
    event: SSEEvent,
  ): Pulled | Promise<Pulled> | undefined => {
    for (let i = index; i < steps.length; i++) {
      const out = steps[i]!(item);
      if (isPromiseLike(out)) {
        return Promise.resolve(out).then(
          (value) => (value === undefined ? undefined : run(value, i + 1, event)) ?? next(),
        );
      }
      if (out === undefined) return undefined;
      item = out;
    }
    return { value: outgoing(item, event) as SSEItem<any>, done: false };
  };
  const resume = (step: EventStep): Pulled | Promise<Pulled> =>
    step.done ? DONE : (run(step.value, 0, step.value) ?? next());
  const next = (): Pulled | Promise<Pulled> => {
    for (;;) {
      const step = reader.next();
      if (step instanceof Promise) return step.then(resume);
      if (step.done) return DONE;
      const out = run(step.value, 0, step.value);
      if (out) return out;
    }
  };
  return { next, return: reader.close };
}

/**
 * @internal A relayed item as it is sent: an event parsed without an `event`
 * field goes back without one (the bytes stay as the upstream sent them), and
 * text a step returned keeps the upstream event's id, as a message `mapEvents`
 * returns does.
 */
export function outgoing(item: unknown, event?: SSEEvent): unknown {
  if (typeof item === 'string') {
    return event?.id === undefined ? item : { data: item, id: event.id };
  }
  // (An EncodedMessage has no `event`; a forgery that has one is spread into
  // a plain message, which is checked as any other.)
  if (isObject(item) && item.event === 'message') {
    return { ...item, event: undefined };
  }
  return item;
}
