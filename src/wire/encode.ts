import { SSEFieldError, SSESerializeError } from '../errors.ts';
import type { Serialize, SSEItem } from '../types.ts';
import { EncodedMessage } from './encoded.ts';

// "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED
// (CRLF) character pair, a single U+000A LINE FEED (LF) character, or a single
// U+000D CARRIAGE RETURN (CR) character." A value carrying any of the three
// would end its line early and start a new field, so data and comments are
// split on all three, and event and id are refused outright.
const LINE_BREAK = /\r\n|\r|\n/;
const HAS_LINE_BREAK = /[\r\n]/;
const HAS_LINE_BREAK_OR_NUL = /[\r\n\0]/;

/**
 * @internal The longest `retry` we send, in ms: 2^31-1, about 24.8 days. A
 * client hands the value to a timer, and timers in Node and browsers take a
 * 32-bit signed delay: a larger one fires after 1 ms instead, so the client
 * would reconnect in a tight loop.
 */
export const MAX_RETRY = 2 ** 31 - 1;

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
  if (message instanceof EncodedMessage) return message.text;
  if (message === null || typeof message !== 'object') {
    throw new SSEFieldError(
      'data',
      message,
      `A message must be a string or an object like { event, data, id, retry, comment }, got ${describe(message)}.`,
    );
  }
  const { event, data, id, retry, comment } = message;
  let text = '';
  if (comment !== undefined) text += commentLines(comment);
  if (event !== undefined) {
    if (typeof event !== 'string' || HAS_LINE_BREAK.test(event)) {
      throw new SSEFieldError(
        'event',
        event,
        `The event name must be a string without CR or LF, got ${describe(event)}: a line break would end the field and start another. Use a plain name such as 'update'.`,
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

/** @internal The `id` field's value, validated. Shared with the hub. */
export function idText(id: unknown): string {
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  if (typeof id === 'string' && !HAS_LINE_BREAK_OR_NUL.test(id)) return id;
  throw new SSEFieldError(
    'id',
    id,
    `The id must be a finite number or a string without CR, LF or NUL, got ${describe(id)}: browsers ignore an id with NUL, and a line break would inject a field.`,
  );
}

/** @internal The `retry` field's value, validated. */
export function retryText(retry: unknown): string {
  if (typeof retry === 'number' && Number.isInteger(retry) && retry >= 0 && retry <= MAX_RETRY) {
    return String(retry);
  }
  throw new SSEFieldError(
    'retry',
    retry,
    `retry must be a whole number of milliseconds from 0 to ${MAX_RETRY}, got ${describe(retry)}. Browsers ignore any other value.`,
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
      `A comment must be a string, got ${describe(comment)}.`,
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
      `Could not serialize data (${causeText(cause)}). Pass a string, a JSON-safe value, or a serialize option that handles this value.`,
      { cause },
    );
  }
  if (typeof text !== 'string') {
    throw new SSESerializeError(
      `The serializer returned ${describe(text)} instead of a string (JSON.stringify does so for functions and symbols). Pass a string or a JSON-safe value.`,
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
    return `data: expected a string or a serializable value, got ${kind}. ${kind === 'a Promise' ? 'Send { data: await value }' : 'Send a value made from it'}.`;
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

/** @internal A short description of a bad value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  }
  if (typeof value === 'bigint') return value + 'n';
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
