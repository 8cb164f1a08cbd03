import {
  isObject,
  isPlainObject,
  isPromiseLike,
  need,
  needDelay,
  needFunction,
} from '../checks.ts';
import type { SSEItem } from '../wire/message.ts';

// Event transforms: `TransformStream`s of messages (filter, map, heartbeat)
// that sit before the encoder. Running them over a `Response` that is
// already an event stream is the relay's job (relay.ts).

/**
 * @internal What `filterEvents` and `mapEvents` do to one item, kept on the
 * stream they return so that `transformEvents` can run a row of them as one
 * pass per event, without a stream between them: the item to send on, or
 * `undefined` to drop it; a promise only when the caller's function gave one.
 * A map's step leaves the id to carry to the relay (see `RelaySource`).
 */
export type ItemStep = (item: any) => unknown;

const STEP = Symbol('ItemStep');

/** @internal The step of a stream `filterEvents` or `mapEvents` made, if it is one. */
export function stepOf(stage: unknown): ItemStep | undefined {
  return (stage as { [STEP]?: ItemStep })?.[STEP];
}

/**
 * A transform stream (a `{ readable, writable }` pair, for `pipeThrough`) that
 * keeps only the items `predicate` accepts. It sits
 * before the encoder (or inside `transformEvents`), so it sees whole messages,
 * never bytes. The predicate may be async; items stay in order. A
 * synchronous predicate costs no promise per item.
 *
 * @example
 * ```ts
 * const body = messages
 *   .pipeThrough(filterEvents((message) => message.event !== 'debug'))
 *   .pipeThrough(new SSEEncoderStream());
 * ```
 */
export function filterEvents<T>(
  predicate: (item: T) => boolean | Promise<boolean>,
): TransformStream<T, T> {
  needFunction('filterEvents(predicate)', predicate, 'Pass (item) => boolean.');
  return stepStream<T, T>((item) => {
    const keep = predicate(item);
    return isPromiseLike(keep)
      ? Promise.resolve(keep).then((kept) => (kept ? item : undefined))
      : keep
        ? item
        : undefined;
  });
}

/**
 * A transform stream (a `{ readable, writable }` pair, for `pipeThrough`) that
 * replaces each item with what `map` returns (which
 * may be a promise). Return `undefined` to drop the item, so one function can
 * rewrite some events and drop others. A synchronous `map` costs no promise
 * per item.
 *
 * Ids are carried: when the item has an `id` and `map` returns a message
 * object without one, the message is sent with the item's `id`, so a relay
 * that renames an event keeps the cursor clients resume from. Set `id` to
 * change it (`id: undefined` sends none).
 *
 * @example
 * ```ts
 * // Relay an LLM stream, keeping only the token text (and each event's id).
 * mapEvents((event: SSEEvent) =>
 *   event.event === 'token' ? { event: 'token', data: JSON.parse(event.data).text } : undefined,
 * );
 * ```
 */
export function mapEvents<T, U>(
  map: (item: T) => U | undefined | Promise<U | undefined>,
): TransformStream<T, U> {
  needFunction('mapEvents(map)', map, 'Pass (item) => item.');
  return stepStream<T, U>((item) => {
    const mapped = map(item);
    return isPromiseLike(mapped)
      ? Promise.resolve(mapped).then((value) => carryId(item, value))
      : carryId(item, mapped);
  }, map);
}

// The stream of one step: the step runs in `transform`, and its promise, if
// it made one, is the transform's (so items stay in order). It is made when
// first piped: a relay that runs the step itself never makes it, which saves
// a TransformStream (its two streams and their controllers) per request.
function stepStream<T, U>(
  step: (item: T) => unknown,
  // What a relay runs: the same, less the carried id, which the relay
  // carries once, on the message it sends.
  relayStep: (item: T) => unknown = step,
): TransformStream<T, U> {
  let stream: TransformStream<T, U> | undefined;
  const made = () =>
    (stream ??= new TransformStream<T, U>({
      transform(item, controller) {
        const out = step(item);
        if (!isPromiseLike(out)) {
          if (out !== undefined) controller.enqueue(out as U);
          return;
        }
        return Promise.resolve(out).then((value) => {
          if (value !== undefined) controller.enqueue(value as U);
        });
      },
    }));
  return {
    get readable() {
      return made().readable;
    },
    get writable() {
      return made().writable;
    },
    [STEP]: relayStep,
  } as TransformStream<T, U>;
}

// The item's id on a mapped message that says nothing of its own: a plain
// object (an EncodedMessage, or anything made by a class, is sent as it is).
function carryId(item: unknown, mapped: unknown): unknown {
  const id = isObject(item) ? item.id : undefined;
  if (id === undefined || !isPlainObject(mapped) || 'id' in mapped) return mapped;
  return { ...mapped, id };
}

/**
 * Options of {@link injectHeartbeat}.
 *
 * @example
 * ```ts
 * injectHeartbeat({ interval: 20_000, comment: 'keep-alive' }); // ': keep-alive' lines
 * ```
 */
export interface HeartbeatOptions {
  /** Milliseconds without an item before a heartbeat is sent. Default 15000. */
  interval?: number;
  /** The text of the heartbeat comment. Default empty (`:` alone on its line). */
  comment?: string;
}

/**
 * A `TransformStream` of messages that adds a comment after `interval` ms in
 * which no message passed: the keep-alive `sseResponse` sends by itself, for
 * streams built outside it (`new Response(stream.pipeThrough(new
 * SSEEncoderStream()))`). It works on whole messages before the encoder, so a
 * heartbeat never lands between the bytes of one. While the reader is behind,
 * no heartbeat is queued: a stalled client costs nothing. The timer stops
 * when the stream ends, errors or is cancelled.
 *
 * @example
 * ```ts
 * const body = messages
 *   .pipeThrough(injectHeartbeat({ interval: 10_000 }))
 *   .pipeThrough(new SSEEncoderStream());
 * return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
 * ```
 */
export function injectHeartbeat<T extends SSEItem<any>>(
  options: HeartbeatOptions = {},
): TransformStream<T, T | SSEItem<any>> {
  const { interval = 15_000, comment = '' } = options;
  needDelay('injectHeartbeat: interval', interval);
  need(typeof comment === 'string', 'injectHeartbeat: comment', 'a string', comment);
  const beat = { comment };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = Date.now();
  const stop = () => clearTimeout(timer);
  const transformer: Transformer<T, T | SSEItem<any>> & { cancel?: () => void } = {
    start(controller) {
      // One timer re-armed for the time left, rather than a new timer per
      // message: a busy stream then costs no timer work at all.
      const tick = () => {
        const idle = Date.now() - last;
        if (idle < interval) return void (timer = setTimeout(tick, interval - idle));
        try {
          // A full queue means the reader is behind: a heartbeat would only
          // grow it, and the connection is not idle anyway.
          if ((controller.desiredSize ?? 0) >= 0) controller.enqueue(beat);
        } catch {
          // Cancelled or errored from the readable side: no flush() comes.
          return stop();
        }
        last = Date.now();
        timer = setTimeout(tick, interval);
      };
      timer = setTimeout(tick, interval);
    },
    transform(item, controller) {
      last = Date.now();
      controller.enqueue(item);
    },
    flush: stop,
    // Called on cancel where the runtime supports it (not Node 20); elsewhere
    // the next tick finds the stream closed and stops.
    cancel: stop,
  };
  return new TransformStream(transformer);
}
