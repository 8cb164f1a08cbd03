import type { SSEEvent, SSEParser, SSEParserOptions } from '../wire/event.ts';
import { createSSEParser } from '../wire/parse.ts';
import { bodyOf } from './body.ts';
import { createDecoder } from './decode.ts';

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
 * `SSEParserStream` does, as an async generator. It reads the body directly:
 * one read per chunk and no stream in between, so it is the fastest way to
 * consume a `fetch` body. Leaving the loop (or `signal`) cancels the body.
 * The generator's return value is the last event ID committed, for resuming.
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
  const events: SSEEvent[] = [];
  const parser = createSSEParser({ ...options, onEvent: (event) => events.push(event) });
  return read(body, parser, events, options.signal);
}

async function* read(
  body: ReadableStream<Uint8Array> | null,
  parser: SSEParser,
  events: SSEEvent[],
  signal: AbortSignal | undefined,
): AsyncGenerator<SSEEvent, string, undefined> {
  if (!body) return parser.lastEventId;
  const reader = body.getReader();
  const decode = createDecoder();
  // Cancelling the reader ends a pending read even where an aborted fetch
  // would not reach the body (a custom fetch, a stream of one's own).
  const cancel = () => reader.cancel().catch(() => {});
  signal?.addEventListener('abort', cancel);
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      let failure: { error: unknown } | undefined;
      try {
        parser.feed(decode(chunk.value));
      } catch (error) {
        failure = { error };
      }
      // Events go out as the consumer pulls; the next chunk is read only
      // once these are taken, so a slow consumer holds the body back. Those
      // parsed before a limit error come out before it.
      for (const event of events) yield event;
      events.length = 0;
      if (failure) throw failure.error;
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
    cancel();
  }
  return parser.lastEventId;
}
