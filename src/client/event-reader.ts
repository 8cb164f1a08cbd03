import type { SSEEvent, SSEParserOptions } from '../wire/event.ts';
import { createSSEParser } from '../wire/parse.ts';
import { createDecoder } from './decode.ts';

/** @internal One step of an {@link EventReader}: an event, or the end with the committed id. */
export type EventStep = IteratorResult<SSEEvent, string>;

/**
 * @internal Reads the events of an event-stream body, one `next()` at a time
 * (make one with {@link eventReader}).
 *
 * The contract, which `readEvents`, `connect` and `transformEvents` build on:
 * - `next()` returns the step itself while the last chunk read still holds
 *   events, and a promise only when it must read the next chunk. A chunk of
 *   a hundred events costs one promise, not a hundred: a relay stays one
 *   synchronous pass per chunk.
 * - The next chunk is read only when the events of the last one are taken,
 *   so a slow consumer holds the body back.
 * - A line or event past its limit throws `SSEParseError` after every
 *   complete event before it; an error of the body throws as it is. Either
 *   way, and at the end, the body is let go and `signal` no longer watched.
 * - The end is `{ done: true, value }` with the last event ID committed
 *   (an id-only block commits its id without an event); `undefined` after.
 * - `stop()` cancels the body (a pending read ends as the end) and is safe
 *   to call at any time, more than once; `close()` does too, drops
 *   the events held, and the end it leads to carries no id (an iterator
 *   closed by its consumer).
 * - `next()` must not be called again while its promise is pending.
 */
export interface EventReader {
  next(): EventStep | Promise<EventStep>;
  stop(): void;
  close(): void;
  /** The last event ID committed so far. */
  readonly lastEventId: string;
}

/** @internal An {@link EventReader} of `body`, with the parser's options and a signal. */
export function eventReader(
  body: ReadableStream<Uint8Array> | null,
  options: Omit<SSEParserOptions, 'onEvent'> & { signal?: AbortSignal },
): EventReader {
  const events: SSEEvent[] = [];
  let taken = 0;
  const parser = createSSEParser({ ...options, onEvent: (event) => events.push(event) });
  const decode = createDecoder();
  let reader = body?.getReader();
  let failure: [unknown] | undefined;
  let ended = false;
  const { signal } = options;
  const end = (): EventStep => {
    const value = ended ? undefined : parser.lastEventId;
    ended = true;
    return { value: value as string, done: true };
  };
  const stop = () => {
    signal?.removeEventListener('abort', stop);
    reader?.cancel().catch(() => {});
    reader = undefined;
  };
  const close = () => {
    stop();
    ended = true;
    events.length = taken = 0;
  };
  const read = async (from: ReadableStreamDefaultReader<Uint8Array>): Promise<EventStep> => {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await from.read();
      } catch (error) {
        close();
        throw error;
      }
      if (chunk.done || from !== reader) {
        stop();
        return end();
      }
      try {
        parser.feed(decode(chunk.value));
      } catch (error) {
        failure = [error];
      }
      if (events.length || failure) return next();
    }
  };
  const next = (): EventStep | Promise<EventStep> => {
    if (taken < events.length) return { value: events[taken++]!, done: false };
    events.length = taken = 0;
    if (failure) {
      const [error] = failure;
      failure = undefined;
      close();
      throw error;
    }
    return reader ? read(reader) : end();
  };
  // Cancelling the reader ends a pending read even where an aborted fetch
  // would not reach the body (a custom fetch, a stream of one's own).
  if (reader) signal?.addEventListener('abort', stop);
  return {
    next,
    stop,
    close,
    get lastEventId() {
      return parser.lastEventId;
    },
  };
}
