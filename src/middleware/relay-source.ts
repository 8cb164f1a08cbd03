import { isObject, isPlainObject, isPromiseLike } from '../checks.ts';
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
  // `item` through the steps from `index` on; `undefined` when one dropped
  // it. `id` is the one to carry: the event's, or the last a step set.
  const run = (
    item: unknown,
    index: number,
    id: SSEEvent['id'],
  ): Pulled | Promise<Pulled> | undefined => {
    for (let i = index; i < steps.length; i++) {
      const out = steps[i]!(item);
      if (isPromiseLike(out)) {
        return Promise.resolve(out).then(
          (value) => (value === undefined ? undefined : after(value, i, id)) ?? next(),
        );
      }
      if (out === undefined) return undefined;
      item = out;
      id = idOf(item, id);
    }
    return { value: outgoing(item, id) as SSEItem<any>, done: false };
  };
  const after = (value: unknown, i: number, id: SSEEvent['id']) =>
    run(value, i + 1, idOf(value, id));
  const resume = (step: EventStep): Pulled | Promise<Pulled> =>
    step.done ? DONE : (run(step.value, 0, step.value.id) ?? next());
  const next = (): Pulled | Promise<Pulled> => {
    for (;;) {
      const step = reader.next();
      if (step instanceof Promise) return step.then(resume);
      if (step.done) return DONE;
      const out = run(step.value, 0, step.value.id);
      if (out) return out;
    }
  };
  return { next, return: reader.close };
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
