import { describe, MAX_DELAY } from '../checks.ts';
import { SSEFieldError, SSESerializeError } from '../errors.ts';
import { EncodedMessage, encodedBytes, fromWireText, wireText } from './encoded.ts';
import type { EventMap, Serialize, SSEItem } from './message.ts';

// "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED
// (CRLF) character pair, a single U+000A LINE FEED (LF) character, or a single
// U+000D CARRIAGE RETURN (CR) character." A value carrying any of the three
// would end its line early and start a new field, so data and comments are
// split on all three, and event and id are refused outright.
const LINE_BREAK = /\r\n|\r|\n/;
const HAS_LINE_BREAK = /[\r\n]/;
const HAS_LINE_BREAK_OR_NUL = /[\r\n\0]/;

/** @internal What a `retry` must be, in messages. */
export const RETRY = `a whole number of milliseconds from 0 to ${MAX_DELAY}`;
// The advice of every message about data that cannot be sent.
const SEND = 'Pass a string or a JSON-safe value';

/**
 * Options shared by every function that turns messages into wire text.
 *
 * @example
 * ```ts
 * encodeMessage({ data: new Map([['a', 1]]) }, {
 *   serialize: (data) => JSON.stringify(Object.fromEntries(data as Map<string, number>)),
 * });
 * ```
 */
export interface EncodeOptions {
  /**
   * Turns `data` that is not a string into text. Default `JSON.stringify`.
   * Its output may contain line breaks: they become separate `data:` lines.
   */
  serialize?: Serialize;
}

/**
 * Turns one message into its wire text, ending with the blank line that
 * dispatches it. A string is a message with only `data`.
 *
 * - `data` is split on CRLF, CR and LF, one `data: ` line each; a value that
 *   is not a string is serialized (JSON by default). A Promise, a function
 *   or a symbol as `data`, and anything the serializer cannot turn into a
 *   string, throw {@link SSESerializeError}. A message with an
 *   `event` but no `data` gets an empty `data` line, so that it dispatches.
 * - `event` and `id` with CR or LF, `id` with NUL, and a `retry` that is not
 *   a whole number from 0 to 2^31-1 (2147483647) throw
 *   {@link SSEFieldError}: nothing is written, nothing is silently stripped.
 * - `comment` is written one `: ` line per line of text.
 *
 * @example
 * ```ts
 * encodeMessage({ event: 'tick', id: 7, data: { n: 1 } });
 * // 'event: tick\nid: 7\ndata: {"n":1}\n\n'
 * encodeMessage('two\nlines');
 * // 'data: two\ndata: lines\n\n'
 * ```
 */
export function encodeMessage(message: SSEItem<any>, options?: EncodeOptions): string {
  if (typeof message === 'string') return dataLines(message) + '\n';
  // Read from the bytes, never from a `text` property it may have been given.
  const bytes = encodedBytes(message);
  if (bytes) return wireText(bytes);
  if (message === null || typeof message !== 'object') {
    throw new SSEFieldError(
      'data',
      message,
      `message: expected a string or { data, event, id, retry, comment }, got ${describe(message)}. Use { data: value }.`,
    );
  }
  if (message instanceof EncodedMessage) {
    // On the prototype but not made by preEncode: its bytes were never checked.
    throw new SSEFieldError(
      'data',
      message,
      'message: expected preEncode(), got a forged EncodedMessage. Use preEncode(message).',
    );
  }
  const { event, data, id, retry, comment } = message;
  return encodeFields(event, data, id, retry, comment, options);
}

/**
 * @internal The text of a message given as its fields, checked as
 * {@link encodeMessage} checks them: for a caller that has them at hand
 * (a relay carrying an id), without a message object made to pass them.
 */
export function encodeFields(
  event: unknown,
  data: unknown,
  id: unknown,
  retry: unknown,
  comment: unknown,
  options?: EncodeOptions,
): string {
  let text = '';
  if (comment !== undefined) text += commentLines(comment);
  if (event !== undefined) {
    if (typeof event !== 'string' || HAS_LINE_BREAK.test(event)) {
      throw new SSEFieldError(
        'event',
        event,
        `event: expected a string without CR or LF, got ${describe(event)}. Use one such as 'update'.`,
      );
    }
    text += 'event: ' + event + '\n';
  }
  if (id !== undefined) text += 'id: ' + idText(id) + '\n';
  if (retry !== undefined) text += 'retry: ' + retryText(retry) + '\n';
  if (typeof data === 'string') text += dataLines(data);
  else if (data !== undefined) {
    const serialize = options?.serialize;
    const serialized = serializeData(data, serialize);
    // JSON.stringify escapes every line break, so its output is one line.
    text += serialize ? dataLines(serialized) : 'data: ' + serialized + '\n';
  } else if (event !== undefined) {
    // Without a data line the browser dispatches nothing at all.
    text += 'data: \n';
  }
  return text + '\n';
}

/**
 * Wire text for a comment, one `: ` line per line of text. Comments are not
 * events: parsers ignore them, proxies see traffic.
 *
 * @example
 * ```ts
 * encodeComment('keep-alive'); // ': keep-alive\n\n'
 * ```
 */
export function encodeComment(text: string): string {
  return commentLines(text) + '\n';
}

/**
 * Encodes a message once for many streams (a broadcast): throws the same
 * typed errors as `encodeMessage`, then every send of the result costs no
 * encoding at all.
 *
 * @example
 * ```ts
 * const message = preEncode({ event: 'price', id: 42, data: { usd: 101.5 } });
 * for (const writer of writers) writer.send(message);
 * ```
 */
export function preEncode<Events extends EventMap = EventMap>(
  message: SSEItem<Events>,
  options?: EncodeOptions,
): EncodedMessage {
  return encodedBytes(message)
    ? (message as EncodedMessage)
    : fromWireText(encodeMessage(message, options));
}

/** @internal The `id` field's value, validated. Shared with the hub. */
export function idText(id: unknown): string {
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  if (typeof id === 'string' && !HAS_LINE_BREAK_OR_NUL.test(id)) return id;
  throw new SSEFieldError(
    'id',
    id,
    `id: expected a finite number or a string without CR, LF or NUL, got ${describe(id)}. Use a number.`,
  );
}

/**
 * @internal Whether `retry` can be sent: a whole number of milliseconds from
 * 0 to MAX_DELAY. A client hands it to a timer: past MAX_DELAY the timer
 * would fire at once, and the client reconnect in a tight loop.
 */
export function isRetry(retry: unknown): retry is number {
  return Number.isInteger(retry) && (retry as number) >= 0 && (retry as number) <= MAX_DELAY;
}

/** @internal The `retry` field's value, validated. */
export function retryText(retry: unknown): string {
  if (isRetry(retry)) return String(retry);
  throw new SSEFieldError(
    'retry',
    retry,
    `retry: expected ${RETRY}, got ${describe(retry)}. Leave it out for none.`,
  );
}

function dataLines(data: string): string {
  if (!HAS_LINE_BREAK.test(data)) return 'data: ' + data + '\n';
  let text = '';
  for (const line of data.split(LINE_BREAK)) text += 'data: ' + line + '\n';
  return text;
}

function commentLines(comment: unknown): string {
  if (typeof comment !== 'string') {
    throw new SSEFieldError(
      'comment',
      comment,
      `comment: expected a string, got ${describe(comment)}. Leave it out for none.`,
    );
  }
  let text = '';
  for (const line of comment.split(LINE_BREAK)) text += line === '' ? ':\n' : ': ' + line + '\n';
  return text;
}

function serializeData(data: unknown, serialize: Serialize = JSON.stringify): string {
  let text: unknown;
  try {
    const refused = unsendable(data);
    if (refused) throw new SSESerializeError(refused);
    text = serialize(data);
  } catch (cause) {
    if (cause instanceof SSESerializeError) throw cause;
    throw new SSESerializeError(
      `data: expected a serializable value, got one that threw (${causeText(cause)}). ${SEND}, or a serialize for it.`,
      { cause },
    );
  }
  if (typeof text !== 'string') {
    throw new SSESerializeError(
      `serialize: expected a string, got ${describe(text)}. ${SEND}, or fix serialize.`,
    );
  }
  return text;
}

// Never data, whatever the serializer: a promise has no value yet
// (JSON.stringify would send `{}`), functions and symbols have no text.
function unsendable(data: unknown): string | undefined {
  const kind =
    typeof data === 'function'
      ? 'a function'
      : typeof data === 'symbol'
        ? 'a symbol'
        : typeof (data as { then?: unknown })?.then === 'function'
          ? 'a Promise'
          : '';
  if (kind) {
    return `data: expected a serializable value, got ${kind}. ${kind === 'a Promise' ? 'Send the awaited value' : SEND}.`;
  }
}

// What a serializer threw, as text: it may be a symbol, an object with no
// prototype or a getter that throws, and none of that may escape as a TypeError.
function causeText(cause: unknown): string {
  try {
    const message = (cause as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message : describe(cause);
  } catch {
    return 'unreadable';
  }
}
