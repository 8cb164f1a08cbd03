import type { SSEEvent, SSEParser, SSEParserOptions } from '../wire/event.ts';
import { createSSEParser } from '../wire/parse.ts';
import { createDecoder } from './decode.ts';

/**
 * Options of {@link SSEParserStream}: those of the parser, less `onEvent`.
 *
 * @example
 * ```ts
 * const options: SSEParserStreamOptions = { lastEventId: '41', maxEventLength: 1 << 20 };
 * body.pipeThrough(new SSEParserStream(options));
 * ```
 */
export type SSEParserStreamOptions = Omit<SSEParserOptions, 'onEvent'>;

/**
 * A transform stream (typed as a `TransformStream`, for `pipeThrough`; not
 * an instance of one) from the bytes of an event stream (a `fetch` body) to
 * its events, exactly as the HTML standard parses them: UTF-8 decoded
 * incrementally with U+FFFD for bad bytes, one leading BOM ignored (also when
 * cut across chunks), CR, LF and CRLF line ends, an unterminated final event
 * discarded. It accepts strings too; those must not have lost their BOM to a
 * default `TextDecoder`, or a second BOM would be taken for the first: pass
 * bytes, or text decoded with `ignoreBOM: true`.
 *
 * A line or event longer than its limit errors the stream with
 * `SSEParseError`, and an error of the bytes' source errors it too; either
 * way every complete event parsed before the error is read first.
 *
 * @example
 * ```ts
 * const response = await fetch('/events', { headers: { authorization } });
 * for await (const event of response.body!.pipeThrough(new SSEParserStream())) {
 *   console.log(event.event, event.data, event.lastEventId);
 * }
 * ```
 */
export class SSEParserStream implements TransformStream<Uint8Array | string, SSEEvent> {
  /** The events, parsed. */
  declare readonly readable: ReadableStream<SSEEvent>;
  /** Takes the bytes (or text) of the event stream. */
  declare readonly writable: WritableStream<Uint8Array | string>;
  readonly #parser: SSEParser;

  constructor(options: SSEParserStreamOptions = {}) {
    // Two streams of our own, not a TransformStream: a chunk is fed from
    // the writable's `write`, one hop instead of the three of a transform
    // (writable, the transform's promise, readable), and the events go to a
    // readable that keeps them when the stream errors (a TransformStream's
    // readable throws its queue away on an error, and with it the events
    // before the error). It is a TransformStream to `pipeThrough` and to the
    // types, not to `instanceof`.
    // Decoded here rather than through a TextDecoderStream: one hop per
    // chunk instead of two, and the BOM left for the parser to strip once.
    const decode = createDecoder();
    let output!: ReadableStreamDefaultController<SSEEvent>;
    let input!: WritableStreamDefaultController;
    // The error to end with, once the reader has taken every event before it.
    let failure: [unknown] | undefined;
    // A write held back until the reader takes events: backpressure.
    let waiting: (() => void) | undefined;
    // The reader took events (or left): let a held write go, and end with
    // the error once nothing is left before it.
    const pulled = () => {
      if (failure && output.desiredSize === 1) output.error(failure[0]);
      waiting?.();
      waiting = undefined;
    };
    const fail = (error: unknown) => {
      failure = [error];
      pulled();
    };
    const parser = createSSEParser({ ...options, onEvent: (event) => output.enqueue(event) });
    const readable = new ReadableStream<SSEEvent>({
      start: (controller) => void (output = controller),
      pull: pulled,
      cancel(reason) {
        pulled();
        // Errors the writable side, so a pipe into it cancels its source.
        input.error(reason);
      },
    });
    // Writes wait only on `readable`.
    const writable = new WritableStream<Uint8Array | string>({
      start: (controller) => void (input = controller),
      write(chunk) {
        try {
          parser.feed(typeof chunk === 'string' ? chunk : decode(chunk));
        } catch (error) {
          // A limit error: the writable errors (the source is cancelled),
          // the readable after the events before it.
          fail(error);
          throw error;
        }
        if (!(output.desiredSize! > 0)) return new Promise((resolve) => (waiting = resolve));
      },
      // Never after a cancel: that errors this side first.
      close: () => output.close(),
      abort: fail,
    });
    this.readable = readable;
    this.writable = writable;
    this.#parser = parser;
  }

  /**
   * The last event ID committed so far: what to send as `Last-Event-ID`
   * when reconnecting after this stream ends.
   */
  get lastEventId(): string {
    return this.#parser.lastEventId;
  }
}
