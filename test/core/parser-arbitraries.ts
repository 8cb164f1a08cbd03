import fc from 'fast-check';
import type { SSEEvent } from '../../src/client/index.ts';

/** A message as the property tests generate it: every field optional. */
export interface RoundTripMessage {
  event?: string;
  data?: string;
  id?: string;
  retry?: number;
  comment?: string;
}

/** Text that tries to break out of its field: line endings, NUL, BOM, emoji, field-like text. */
export const BREAKOUT_PIECES = [
  '\r',
  '\n',
  '\r\n',
  '\n\r',
  '\0',
  '\uFEFF',
  '😀',
  'é',
  ' ',
  ':',
  'data: x',
  'event: admin',
  'id: 1',
  'retry: 1',
];

// Mixed with arbitrary well-formed strings (a lone surrogate cannot survive
// UTF-8, so it is not a round-trip input).
const piece = fc.oneof(
  fc.constantFrom(...BREAKOUT_PIECES),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);
const tricky = fc.array(piece, { maxLength: 6 }).map((parts) => parts.join(''));
const noBreak = tricky.map((text) => text.replace(/[\r\n]/g, ''));

/** A list of messages for the round trip, with only what encodeMessage accepts. */
export const messages = fc.array(
  fc.record(
    {
      event: noBreak,
      data: tricky,
      id: noBreak.map((text) => text.replace(/\0/g, '')),
      retry: fc.nat(),
      comment: tricky,
    },
    { requiredKeys: [] },
  ),
  { maxLength: 8 },
);

/** What a spec-exact parser must report for messages written by encodeMessage. */
export function expectedEvents(list: RoundTripMessage[]) {
  const events: SSEEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  let lastEventId = '';
  for (const message of list) {
    if (message.comment !== undefined) comments.push(...message.comment.split(/\r\n|\r|\n/));
    if (message.id !== undefined) lastEventId = message.id;
    if (message.retry !== undefined) retries.push(message.retry);
    // encodeMessage writes an empty data line for an event without data.
    const data = message.data ?? (message.event === undefined ? undefined : '');
    if (data === undefined) continue;
    events.push({
      event: message.event || 'message',
      data: data.replace(/\r\n|\r/g, '\n'),
      id: message.id,
      lastEventId,
    });
  }
  return { events, retries, comments, lastEventId };
}
