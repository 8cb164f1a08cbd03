import { need } from '../checks.ts';
import { bodyOf } from '../client/body.ts';
import { EventReader } from '../client/event-reader.ts';
import type { SSESource } from '../server/context.ts';
import { HOP_BY_HOP } from '../server/headers.ts';
import { sseResponse } from '../server/response.ts';
import { CUT_ON_ERROR, type SSEResponseInit } from '../server/response-options.ts';
import type { EncodeOptions } from '../wire/encode.ts';
import type { SSEParserOptions } from '../wire/event.ts';
import { createSSEParser } from '../wire/parse.ts';
import { isEventStream } from './detect.ts';
import { type ItemStep, stepOf } from './message-transforms.ts';
import { outgoing, RelaySource } from './relay-source.ts';

// The relay: an SSE `Response` in, parsed, through event transforms (such
// as those of message-transforms.ts), and re-encoded into a new one.

/**
 * Options of {@link transformEvents}: those of `sseResponse`, less `status`
 * (the upstream's is kept) and `serialize` (relayed data is already text),
 * plus the parser's limits for the upstream stream (`maxEventLength`,
 * default 16 Mi characters; `maxLineLength`, default `maxEventLength` + 64).
 *
 * @example
 * ```ts
 * transformEvents(upstream, { request, heartbeat: 10_000, maxEventLength: 1 << 20 }, filterEvents(keep));
 * ```
 */
export type TransformEventsInit = Omit<SSEResponseInit, 'status' | 'serialize'> &
  Pick<SSEParserOptions, 'maxLineLength' | 'maxEventLength'>;

/**
 * A stage of {@link transformEvents}: any `TransformStream` of messages (or
 * any `{ readable, writable }` pair).
 *
 * @example
 * ```ts
 * const stages: EventTransform[] = [filterEvents(keep), mapEvents(rename)];
 * transformEvents(upstream, ...stages);
 * ```
 */
export type EventTransform = ReadableWritablePair<any, any>;

// Headers that described the upstream's bytes or connection, not the events:
// the relay sends other bytes (re-encoded, maybe compressed) on another one.
const UPSTREAM_ONLY = [
  'content-type', // ours says UTF-8, which is what the re-encoded stream is
  'content-length',
  'content-encoding',
  'content-range',
  'etag',
  ...HOP_BY_HOP,
];

/**
 * Relays an event stream through event transforms: parses the body of an
 * SSE `Response` (one from ssekit, or an upstream `fetch`) exactly as a
 * browser would, pipes the events through each transform in turn, and
 * re-encodes what comes out into a new event stream response: the SSE proxy
 * or gateway. The first transform receives `SSEEvent`s (`{ event, data, id,
 * lastEventId }`); each transform may emit any message `sseResponse` accepts.
 *
 * Backpressure and cancellation go both ways: the upstream body is read only
 * as fast as the client reads the result, and cancelling the result (the
 * client left) cancels the upstream body, which ends an upstream `fetch`.
 * The upstream's comments and `retry` fields are not relayed: clients
 * reconnect to the relay, which sends its own heartbeat and, with the `retry`
 * option, its own delay. Ids are carried: a message a map returns without
 * an `id` goes out with the upstream event's, so forward the client's
 * `Last-Event-ID` upstream and a reconnect resumes. Status and headers are
 * kept, less those that described the upstream bytes. A response that is not
 * an event stream (an upstream error page) is returned as it is.
 *
 * A row of `filterEvents` and `mapEvents` runs as one pass per event, with no
 * stream between them and no promise per event for synchronous functions;
 * any other stage is piped as written. When the upstream breaks, a transform
 * throws, or an upstream line or event passes the limits, `onError` is told
 * (what it returns is the last event) and the response ends broken after
 * every event before: a `fetch` reader gets an error, not an end.
 *
 * @example
 * ```ts
 * // A gateway in front of an LLM stream that drops usage events.
 * async function fetchHandler(request: Request) {
 *   const upstream = await fetch('https://llm.internal/v1/stream', {
 *     method: 'POST',
 *     body: await request.text(),
 *     signal: request.signal,
 *   });
 *   return transformEvents(
 *     upstream,
 *     { request },
 *     filterEvents((event: SSEEvent) => event.event !== 'usage'),
 *   );
 * }
 * ```
 */
export function transformEvents(response: Response, ...transforms: EventTransform[]): Response;
export function transformEvents(
  response: Response,
  init: TransformEventsInit,
  ...transforms: EventTransform[]
): Response;
export function transformEvents(
  response: Response,
  ...rest: (TransformEventsInit | EventTransform)[]
): Response {
  need(
    typeof (response as Response)?.headers?.get === 'function',
    'transformEvents(response)',
    'a Response',
    response,
    'Pass the upstream response, such as await fetch(url).',
  );
  const { maxLineLength, maxEventLength, ...init } = (
    rest[0] !== undefined && !isTransform(rest[0]) ? rest.shift() : {}
  ) as TransformEventsInit;
  // Checked now, before a stream is made, like every other option.
  const limits = { maxLineLength, maxEventLength };
  createSSEParser(limits);
  rest.forEach((transform, index) => {
    need(
      isTransform(transform),
      `transformEvents: transform ${index}`,
      'a TransformStream (or any { readable, writable } pair)',
      transform,
      'Pass stages such as filterEvents(keep).',
    );
  });
  if (!isEventStream(response)) return response;
  // The relay reads the body: one read already, or held, is refused here.
  const body = bodyOf(response, 'transformEvents(response)');
  if (body === null) return response;
  const headers = new Headers(response.headers);
  for (const name of UPSTREAM_ONLY) headers.delete(name);
  for (const [name, value] of new Headers(init.headers)) {
    headers.set(name, value);
  }
  const stages = rest as EventTransform[];
  const steps = stages.map(stepOf);
  const reader = new EventReader(body, limits);
  let source: SSESource;
  if (steps.every((step) => step !== undefined)) {
    // filterEvents and mapEvents only: one pass per event, no stream between,
    // written by the relay itself as each upstream chunk is read.
    source = (() => new RelaySource(reader, steps as ItemStep[], init as EncodeOptions)) as never;
  } else {
    // A stream of the caller's own among them: every stage is piped, as written.
    let events = new ReadableStream({
      async pull(controller) {
        const step = await reader.next();
        if (step.done) controller.close();
        else controller.enqueue(step.value);
      },
      cancel: () => reader.close(),
    });
    for (const stage of stages) events = events.pipeThrough(stage);
    source = events.pipeThrough(new TransformStream({ transform: relayed }));
  }
  return sseResponse(source, {
    ...init,
    status: response.status,
    headers,
    // An upstream or transform error ends the relayed body broken, not closed.
    [CUT_ON_ERROR]: true,
  } as SSEResponseInit);
}

function relayed(item: unknown, controller: TransformStreamDefaultController): void {
  controller.enqueue(outgoing(item));
}

function isTransform(value: unknown): value is EventTransform {
  const pair = value as EventTransform;
  // A step is checked without touching its streams, which it makes on first use.
  return (
    stepOf(value) !== undefined ||
    (typeof pair?.readable?.getReader === 'function' &&
      typeof pair?.writable?.getWriter === 'function')
  );
}
