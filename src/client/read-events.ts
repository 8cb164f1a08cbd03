import type { SSEEvent, SSEParserOptions } from '../wire/event.ts';
import { bodyOf } from './body.ts';
import { EventReader, type EventStep } from './event-reader.ts';

/**
 * Options of {@link readEvents}: the parser's, less `onEvent`, plus a signal.
 *
 * @example
 * ```ts
 * const options: ReadEventsOptions = { signal: AbortSignal.timeout(30_000), onRetry: console.log };
 * for await (const event of readEvents(response.body!, options)) console.log(event.data);
 * ```
 */
export interface ReadEventsOptions extends Omit<SSEParserOptions, 'onEvent'> {
  /** Aborting it cancels the body and ends the iteration, even during a pending read. */
  signal?: AbortSignal;
}

/**
 * Reads the events of an event-stream body (or of a `Response`, which is
 * read as its body; one without a body has no events), parsed exactly like
 * `SSEParserStream` does, as an async iterator that behaves as an async
 * generator (`next`, `return`, `throw`, `await using`). It reads the body
 * directly: one read per chunk, no stream in between and no generator step
 * per event, so it is the fastest way to consume a `fetch` body. Leaving the
 * loop (or `signal`) cancels the body. Its return value is the last event ID
 * committed, for resuming.
 * A line or event past its limit throws `SSEParseError`, after every
 * complete event before it. Anything but a Response or a body, and a body
 * already read or held by a reader, throws `SSEOptionError` at the call.
 *
 * @example
 * ```ts
 * const response = await fetch(url, { headers: { authorization } });
 * for await (const event of readEvents(response)) {
 *   console.log(event.event, event.data);
 * }
 * ```
 */
export function readEvents(
  body: Response | ReadableStream<Uint8Array>,
  options: ReadEventsOptions = {},
): AsyncGenerator<SSEEvent, string, undefined> {
  return eventsOf(bodyOf(body, 'readEvents(body)'), options);
}

/**
 * @internal {@link readEvents} of a body already checked (`null`: a body with
 * no events). The options are checked here, at the call, as the body is: not
 * at the first read.
 */
export function eventsOf(
  body: ReadableStream<Uint8Array> | null,
  options: ReadEventsOptions,
): AsyncGenerator<SSEEvent, string, undefined> {
  return iterate(new EventReader(body, options));
}

// An async generator's `yield` costs two promises and a queue turn per event;
// this hands out each event the reader holds with one resolved promise, and
// keeps the generator's guarantees: calls made while one is pending wait for
// it, an error or `return()` lets the body go, and after either it is done.
function iterate(reader: EventReader): AsyncGenerator<SSEEvent, string, undefined> {
  let busy: Promise<EventStep> | undefined;
  const next = (): Promise<EventStep> => {
    if (busy) return busy.then(next, next);
    let step: EventStep | Promise<EventStep>;
    try {
      step = reader.next();
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(step instanceof Promise)) return Promise.resolve(step);
    const pending = step;
    const idle = () => {
      if (busy === pending) busy = undefined;
    };
    busy = pending;
    pending.then(idle, idle);
    return pending;
  };
  const iterator = {
    next,
    return(value?: string) {
      reader.close();
      return Promise.resolve({ value: value as string, done: true as const });
    },
    throw(error: unknown) {
      reader.close();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  // `await using events = readEvents(body)`, where the runtime has it.
  const dispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
  if (dispose)
    (iterator as Record<symbol, unknown>)[dispose] = () => iterator.return().then(() => {});
  return iterator as unknown as AsyncGenerator<SSEEvent, string, undefined>;
}
