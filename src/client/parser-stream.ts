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

// Let a chunk carrying many events through without waiting for the reader
// between each; the bytes are bounded by the writable side.
const HIGH_WATER_MARK = 16;

/**
 * A `TransformStream` from the bytes of an event stream (a `fetch` body) to
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
export class SSEParserStream extends TransformStream<Uint8Array | string, SSEEvent> {
  readonly #parser: SSEParser;

  constructor(options: SSEParserStreamOptions = {}) {
    // Decode here rather than through a TextDecoderStream: one stream hop per
    // chunk instead of two, and the BOM is left for the parser to strip once.
    const decode = createDecoder();
    // The events go to a readable of our own: a TransformStream's readable
    // throws its queue away when it errors, and with it the events that came
    // before the error. This one errors only once the reader has taken them.
    let output!: ReadableStreamDefaultController<SSEEvent>;
    let failure: { error: unknown } | undefined;
    // A write held back until the reader takes events: backpressure.
    let waiting: (() => void) | undefined;
    const release = () => {
      waiting?.();
      waiting = undefined;
    };
    const parser = createSSEParser({ ...options, onEvent: (event) => output.enqueue(event) });
    const readable = new ReadableStream<SSEEvent>(
      {
        start(controller) {
          output = controller;
        },
        pull() {
          if (failure && output.desiredSize === HIGH_WATER_MARK) output.error(failure.error);
          release();
        },
        cancel(reason) {
          release();
          // Cancels the writable side, so a pipe into it cancels its source.
          return inner.cancel(reason);
        },
      },
      { highWaterMark: HIGH_WATER_MARK },
    );
    super(
      {
        transform(chunk) {
          // A limit error thrown here errors the writable side at once (the
          // source is cancelled); `inner.closed` passes it on to `readable`.
          parser.feed(typeof chunk === 'string' ? chunk : decode(chunk));
          if ((output.desiredSize ?? 0) <= 0) return new Promise((resolve) => (waiting = resolve));
        },
      },
      undefined,
      // Never read, so never full: writes wait only on `readable`.
      { highWaterMark: 1 },
    );
    // The TransformStream's own readable only reports the end: a close
    // after the last write, or an error (from the parser, or the source).
    const inner = this.readable.getReader();
    inner.closed.then(
      // After a cancel there is nothing left to close.
      () => safely(() => output.close()),
      (error: unknown) => {
        failure = { error };
        if (output.desiredSize === HIGH_WATER_MARK) output.error(error);
      },
    );
    Object.defineProperty(this, 'readable', { value: readable });
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

// Closing a stream its reader has cancelled throws; there is nothing to do then.
function safely(action: () => void): void {
  try {
    action();
  } catch {}
}
