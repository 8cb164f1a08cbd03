import { isCount, refuse } from '../checks.ts';
import type { SSEEvent, SSEParser, SSEParserOptions } from './event.ts';
import { SSEParseError } from './parse-error.ts';

const LF = 10;
const SPACE = 32;
const COLON = 58;
// Real streams send single events of several MiB (an image-generation API's
// base64 image is one data line), and a reader holds about 1 byte a character
// of Latin-1 text before a limit stops it, 2 of text beyond: 16 Mi lets a
// 12 MB image through and bounds a reader at about 16 to 32 MiB.
const DEFAULT_EVENT_LENGTH = 2 ** 24; // 16 Mi
// See push(), below.
const GROUP = 256;

/**
 * Creates a parser for the `text/event-stream` format that follows the HTML
 * Living Standard's "event stream interpretation" step by step. It takes
 * text (see `SSEParserStream` for bytes) and calls `onEvent` for each event.
 * Time is linear in the input however it is cut: each piece is scanned once,
 * and a line spread over many pieces is joined once, when it ends.
 *
 * @example
 * ```ts
 * const parser = createSSEParser({ onEvent: (event) => console.log(event.data) });
 * parser.feed('data: hel');
 * parser.feed('lo\n\n'); // logs 'hello'
 * ```
 */
export function createSSEParser(options: SSEParserOptions = {}): SSEParser {
  const { onEvent, onRetry, onComment } = options;
  const maxEventLength = limit('maxEventLength', options.maxEventLength, DEFAULT_EVENT_LENGTH);
  // By default a data line of maxEventLength fits, with its field name.
  const maxLineLength = limit('maxLineLength', options.maxLineLength, maxEventLength + 64);
  // The spec keeps two things apart: the "last event ID buffer", set by each
  // `id` field, and the "last event ID string" (`parser.lastEventId`, below),
  // set from the buffer only when an event is dispatched. An unterminated
  // final block never commits its id.
  let idBuffer = options.lastEventId ?? '';
  let blockId: string | undefined;
  let type = '';
  // The usual event has one data line: it stays in `data`. More lines are
  // gathered in `lines` and joined at dispatch: `data += '\n' + value` would
  // build a V8 rope of about 32 bytes per line, so memory would follow the
  // heap, not the wire.
  let data = '';
  let dataLines = 0;
  let dataLength = 0;
  const lines: string[] = [];
  let lineGroups = 0;
  // Before the first character has been seen, a U+FEFF is the BOM.
  let started = false;
  // The last piece ended with CR: its line is done, but an LF starting the
  // next piece belongs to the same CRLF and must not end an empty line.
  let afterCR = false;
  // A line cut across pieces waits here until its end arrives, then is
  // joined once: appending to one string and rescanning it would be quadratic.
  const pending: string[] = [];
  let pendingGroups = 0;
  let pendingLength = 0;

  const tooLong = (what: 'line' | 'event', limit: number) => {
    throw new SSEParseError(
      `${what}-too-long`,
      `${what === 'line' ? 'maxLineLength' : 'maxEventLength'}: expected at most ${limit} characters, got more. Raise it.`,
    );
  };

  const dispatch = () => {
    // "Set the last event ID string of the event source to the value of the
    // last event ID buffer. The buffer does not get reset."
    parser.lastEventId = idBuffer;
    // "If the data buffer is an empty string, set the data buffer and the
    // event type buffer to the empty string and return."
    let event: SSEEvent | undefined;
    if (dataLines) {
      if (dataLines > 1) {
        data = lines.splice(0).join('\n');
        lineGroups = 0;
      }
      event = { event: type || 'message', data, id: blockId, lastEventId: idBuffer };
    }
    type = data = '';
    dataLines = dataLength = 0;
    blockId = undefined;
    if (event) onEvent?.(event);
  };

  const appendData = (value: string) => {
    // "If the field name is "data": Append the field value to the data
    // buffer, then append a single U+000A LINE FEED (LF) character" (the
    // trailing LF is removed at dispatch, so it is added between lines).
    if (++dataLines === 1) {
      data = value;
      dataLength = value.length;
    } else {
      dataLength += value.length + 1;
      if (dataLines === 2) lines.push(data); // the first: no group to make yet
      lineGroups = push(lines, lineGroups, value, '\n');
    }
    if (dataLength > maxEventLength) tooLong('event', maxEventLength);
  };

  // One line, without its end: text.slice(start, end), not yet cut out.
  const line = (text: string, start: number, end: number) => {
    // The usual line first: "data:" is tested without a scan for the colon.
    // A character past `end` is the line's CR or LF (or nothing), never a
    // space or a colon, so looking one past a short line is safe.
    if (
      text.charCodeAt(start + 4) === COLON &&
      text.charCodeAt(start) === 100 &&
      text.charCodeAt(start + 1) === 97 &&
      text.charCodeAt(start + 2) === 116 &&
      text.charCodeAt(start + 3) === 97
    ) {
      return appendData(
        text.slice(text.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5, end),
      );
    }
    // "If the field name is "id": If the field value does not contain U+0000
    // NULL, then set the last event ID buffer to the field value."
    if (text.startsWith('id:', start)) {
      const value = text.slice(text.charCodeAt(start + 3) === SPACE ? start + 4 : start + 3, end);
      if (value.indexOf('\0') < 0) idBuffer = blockId = value;
      return;
    }
    // "If the line starts with a U+003A COLON character (:): Ignore the line."
    // (We hand it to onComment; it never reaches the event.)
    let colon = start;
    while (colon < end && text.charCodeAt(colon) !== COLON) colon++;
    // "If value starts with a U+0020 SPACE character, remove it from value."
    let valueStart = colon + 1;
    if (valueStart < end && text.charCodeAt(valueStart) === SPACE) valueStart++;
    // "Otherwise, the string is not empty but does not contain a U+003A
    // COLON character: process the field using the whole line as the field
    // name, and the empty string as the field value."
    const value = valueStart < end ? text.slice(valueStart, end) : '';
    // "Field names must be compared literally, with no case folding performed."
    // (By length first: no string is made to compare.)
    switch (colon - start) {
      case 0:
        onComment?.(value);
        break;
      case 4:
        if (text.startsWith('data', start)) appendData(value);
        break;
      case 5:
        // "If the field name is "event": Set the event type buffer to the field value."
        if (text.startsWith('event', start)) type = value;
        // "If the field name is "retry": If the field value consists of only
        // ASCII digits, then interpret the field value as an integer in base
        // ten, and set the event stream's reconnection time to that integer."
        else if (text.startsWith('retry', start) && /^\d+$/.test(value)) onRetry?.(+value);
        break;
      case 2:
        // Only a bare "id" gets here ("id:" lines are taken above): an empty value.
        if (text.startsWith('id', start)) idBuffer = blockId = '';
      // "Otherwise: The field is ignored."
    }
  };

  const feed = (text: string) => {
    const length = text.length;
    if (!length) return;
    let position = 0;
    // "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present."
    if (!started) {
      started = true;
      if (text.charCodeAt(0) === 0xfeff) position = 1;
    }
    if (afterCR) {
      afterCR = false;
      if (text.charCodeAt(position) === LF) position++;
    }
    // "Lines must be processed, in the order they are received, ... separated
    // by a CRLF pair, a single LF, or a single CR." Both searches run ahead
    // and are redone only once passed, so each piece is scanned about once.
    let cr = text.indexOf('\r', position);
    let lf = text.indexOf('\n', position);
    for (;;) {
      let end: number;
      if (lf >= 0 && (cr < 0 || lf < cr)) end = lf;
      else if (cr >= 0) end = cr;
      else break;
      if (pendingLength) {
        // Only the first line of a piece can have a beginning in earlier ones.
        if (end - position + pendingLength > maxLineLength) tooLong('line', maxLineLength);
        pending.push(text.slice(position, end)); // joined at once: no group to make
        const whole = pending.splice(0).join('');
        pendingLength = pendingGroups = 0;
        line(whole, 0, whole.length);
      } else if (end === position) {
        // "If the line is empty (a blank line): Dispatch the event."
        dispatch();
      } else {
        if (end - position > maxLineLength) tooLong('line', maxLineLength);
        line(text, position, end);
      }
      position = end + 1;
      if (end === cr) {
        // A CR ends its line at once, so a server that ends lines with CR is
        // never held up waiting to see whether an LF follows.
        if (position === length) afterCR = true;
        else if (text.charCodeAt(position) === LF) position++;
        cr = text.indexOf('\r', position);
        if (lf >= 0 && lf < position) lf = text.indexOf('\n', position);
      } else {
        lf = text.indexOf('\n', position);
      }
    }
    if (position < length) {
      pendingGroups = push(pending, pendingGroups, position ? text.slice(position) : text, '');
      pendingLength += length - position;
      if (pendingLength > maxLineLength) tooLong('line', maxLineLength);
    }
  };

  // A data property the parser keeps current, not a getter: an object
  // literal with a getter is a dictionary in V8, about 250 bytes a parser.
  const parser: { -readonly [K in keyof SSEParser]: SSEParser[K] } = {
    feed,
    lastEventId: idBuffer,
  };
  return parser;
}

/**
 * Many short pieces of one string (the data lines of an event, the pieces of
 * a line cut across chunks) wait in an array and are joined once, at the end
 * (`parts.splice(0).join(separator)` takes them out). Every GROUP pieces are
 * joined into one as they come: an array slot and a string each would cost
 * 8 to 40 bytes a piece, a joined group about one byte a character. A group
 * is never joined again, so the work stays linear. A plain function over the
 * parser's own array, not an object with methods: its closures and context
 * would cost about 250 bytes a parser.
 *
 * Adds `piece` to `parts`, led by `groups` joined groups; returns how many
 * lead it now.
 */
function push(parts: string[], groups: number, piece: string, separator: string): number {
  // The latest GROUP pieces become one, the next joined group.
  if (parts.push(piece) - groups < GROUP) return groups;
  parts.push(parts.splice(groups).join(separator));
  return groups + 1;
}

// Said through refuse(), not need(): the reader's entries stay small without
// describe(), and a limit that is wrong is a number or a type.
function limit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!isCount(value)) {
    refuse(name, 'a whole number above 0', value);
  }
  return value;
}
