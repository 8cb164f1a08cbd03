import type { SSEEvent, SSEParserOptions } from '../wire/event.ts';
import { createSSEParser } from '../wire/parse.ts';
import { createDecoder } from './decode.ts';

/** @internal One step of an {@link EventReader}: an event, or the end with the committed id. */
export type EventStep = IteratorResult<SSEEvent, string>;

/**
 * @internal Reads the events of an event-stream body, one `next()` at a time.
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
export class EventReader {
  #events: SSEEvent[] = [];
  #taken = 0;
  #parser;
  #decode = createDecoder();
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #failure: { error: unknown } | undefined;
  #signal: AbortSignal | undefined;
  #ended = false;

  constructor(
    body: ReadableStream<Uint8Array> | null,
    options: Omit<SSEParserOptions, 'onEvent'> & { signal?: AbortSignal },
  ) {
    const events = this.#events;
    this.#parser = createSSEParser({ ...options, onEvent: (event) => events.push(event) });
    if (!body) return;
    this.#reader = body.getReader();
    // Cancelling the reader ends a pending read even where an aborted fetch
    // would not reach the body (a custom fetch, a stream of one's own).
    this.#signal = options.signal;
    this.#signal?.addEventListener('abort', this.stop);
  }

  /** The last event ID committed so far. */
  get lastEventId(): string {
    return this.#parser.lastEventId;
  }

  next(): EventStep | Promise<EventStep> {
    const events = this.#events;
    if (this.#taken < events.length) return { value: events[this.#taken++]!, done: false };
    events.length = this.#taken = 0;
    const failure = this.#failure;
    if (failure) {
      this.#failure = undefined;
      this.close();
      throw failure.error;
    }
    if (this.#reader) return this.#read(this.#reader);
    return this.#end();
  }

  stop = (): void => {
    this.#signal?.removeEventListener('abort', this.stop);
    this.#reader?.cancel().catch(() => {});
    this.#reader = undefined;
  };

  close(): void {
    this.stop();
    this.#ended = true;
    this.#events.length = this.#taken = 0;
  }

  async #read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<EventStep> {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        this.close();
        throw error;
      }
      if (chunk.done || reader !== this.#reader) {
        this.stop();
        return this.#end();
      }
      try {
        this.#parser.feed(this.#decode(chunk.value));
      } catch (error) {
        this.#failure = { error };
      }
      if (this.#events.length || this.#failure) return this.next();
    }
  }

  #end(): EventStep {
    const value = this.#ended ? undefined : this.#parser.lastEventId;
    this.#ended = true;
    return { value: value as string, done: true };
  }
}
