/**
 * What the parser reads out of an event stream, and how it is told what to
 * do with it.
 *
 * @module
 */

/**
 * One dispatched event, as `EventSource` would deliver it.
 *
 * @example
 * ```ts
 * const event: SSEEvent = { event: 'tick', data: '{"n":1}', id: '7', lastEventId: '7' };
 * ```
 */
export interface SSEEvent {
  /** The `event` field of the event's block, or `'message'` when it had none (or an empty one). */
  event: string;
  /** The `data` lines of the block, joined with `\n`. */
  data: string;
  /** The `id` field of this event's own block; `undefined` when the block set none. */
  id: string | undefined;
  /**
   * The stream's last event ID when the event was dispatched: the latest
   * `id` seen, kept across events until the server sets another. What
   * `MessageEvent.lastEventId` shows and what a client sends back as
   * `Last-Event-ID`.
   */
  lastEventId: string;
}

/**
 * Options of {@link createSSEParser}; `SSEParserStream` takes the same except `onEvent`.
 *
 * @example
 * ```ts
 * const options: SSEParserOptions = { onEvent: console.log, onRetry: (ms) => (delay = ms) };
 * ```
 */
export interface SSEParserOptions {
  /** Called with each dispatched event. */
  onEvent?: (event: SSEEvent) => void;
  /** Called as soon as a valid `retry` field is read, with its value in milliseconds. */
  onRetry?: (milliseconds: number) => void;
  /** Called with each comment line's text, without the colon and one leading space. */
  onComment?: (text: string) => void;
  /** The last event ID to start from, e.g. the one a reconnecting client sent. Default `''`. */
  lastEventId?: string;
  /**
   * The longest line accepted, in UTF-16 code units, field name included.
   * Default: `maxEventLength` + 64, room for a data line of `maxEventLength`.
   */
  maxLineLength?: number;
  /**
   * The longest `data` an event may gather, in UTF-16 code units, the LF
   * between two `data` lines included (so an event of a million empty
   * `data` lines counts a million). Default 16 Mi (16,777,216): a base64
   * image of 12 MB fits.
   */
  maxEventLength?: number;
}

/**
 * A push parser for decoded event-stream text; see {@link createSSEParser}.
 *
 * @example
 * ```ts
 * const parser: SSEParser = createSSEParser({ onEvent: console.log });
 * parser.feed('id: 1\ndata: x\n\n');
 * parser.lastEventId; // '1'
 * ```
 */
export interface SSEParser {
  /**
   * Parses the next piece of the stream. Pieces may be cut anywhere: inside
   * a line, between CR and LF. Throws {@link SSEParseError} when a limit is
   * passed; the parser must not be fed after that.
   */
  feed(text: string): void;
  /** The last event ID committed by a dispatch (or the starting one). */
  readonly lastEventId: string;
}
