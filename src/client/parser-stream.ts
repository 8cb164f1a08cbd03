import {
  createSSEParser,
  type SSEEvent,
  type SSEParser,
  type SSEParserOptions,
} from '../wire/parse.ts';
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
 * A `TransformStream` from the bytes of an event stream (a `fetch` body) to
 * its events, exactly as the HTML standard parses them: UTF-8 decoded
 * incrementally with U+FFFD for bad bytes, one leading BOM ignored (also when
 * cut across chunks), CR, LF and CRLF line ends, an unterminated final event
 * discarded. It accepts strings too; those must not have lost their BOM to a
 * default `TextDecoder`, or a second BOM would be taken for the first: pass
 * bytes, or text decoded with `ignoreBOM: true`.
 *
 * A line or event longer than its limit errors the stream with
 * `SSEParseError`.
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
    let parser!: SSEParser;
    super(
      {
        start(controller) {
          parser = createSSEParser({ ...options, onEvent: (event) => controller.enqueue(event) });
        },
        transform(chunk) {
          parser.feed(typeof chunk === 'string' ? chunk : decode(chunk));
        },
      },
      undefined,
      // Let a chunk carrying many events through without waiting for the
      // reader between each; the bytes are bounded by the writable side.
      { highWaterMark: 16 },
    );
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
