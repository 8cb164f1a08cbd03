import type { SSEEvent, SSEParser, SSEParserOptions } from '../wire/event.ts';
import { createSSEParser } from '../wire/parse.ts';
import { createDecoder } from './decode.ts';

/** @internal One step of an {@link EventReader}: an event, or the end with the committed id. */
export type EventStep = IteratorResult<SSEEvent, string>;

/**
 * @internal Reads the events of an event-stream body, one `next()` at a
 * time, with the parser's options and a signal.
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
 *
 * A class: one object a stream, where closures over the same state would
 * cost a context and a function each (a relay holds one per client).
 */
export class EventReader {
  readonly #events: SSEEvent[] = [];
  #taken = 0;
  readonly #parser: SSEParser;
  readonly #decode = createDecoder();
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #failure: [unknown] | undefined;
  #ended = false;
  // Cancelling the reader ends a pending read even where an aborted fetch
  // would not reach the body (a custom fetch, a stream of one's own).
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: (() => void) | undefined;

  constructor(
    body: ReadableStream<Uint8Array> | null,
    options: Omit<SSEParserOptions, 'onEvent'> & { signal?: AbortSignal },
  ) {
    const events = this.#events;
    this.#parser = createSSEParser({ ...options, onEvent: (event) => events.push(event) });
    this.#reader = body?.getReader();
    const { signal } = options;
    if (this.#reader && signal) {
      this.#signal = signal;
      this.#onAbort = () => this.stop();
      signal.addEventListener('abort', this.#onAbort);
    }
  }

  next(): EventStep | Promise<EventStep> {
    const events = this.#events;
    if (this.#taken < events.length) return { value: events[this.#taken++]!, done: false };
    events.length = this.#taken = 0;
    const failure = this.#failure;
    if (failure) {
      this.#failure = undefined;
      this.close();
      throw failure[0];
    }
    return this.#reader ? this.#read(this.#reader) : this.#end();
  }

  stop(): void {
    if (this.#onAbort) this.#signal!.removeEventListener('abort', this.#onAbort);
    this.#reader?.cancel().catch(() => {});
    this.#reader = undefined;
  }

  close(): void {
    this.stop();
    this.#ended = true;
    this.#events.length = this.#taken = 0;
  }

  #end(): EventStep {
    const value = this.#ended ? undefined : this.#parser.lastEventId;
    this.#ended = true;
    return { value: value as string, done: true };
  }

  async #read(from: ReadableStreamDefaultReader<Uint8Array>): Promise<EventStep> {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await from.read();
      } catch (error) {
        this.close();
        throw error;
      }
      if (chunk.done || from !== this.#reader) {
        this.stop();
        return this.#end();
      }
      try {
        this.#parser.feed(this.#decode(chunk.value));
      } catch (error) {
        this.#failure = [error];
      }
      if (this.#events.length || this.#failure) return this.next();
    }
  }
}
