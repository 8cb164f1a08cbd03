import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { encodeMessage } from '../../src/index.ts';
import { expectedEvents, messages, type RoundTripMessage } from './parser-arbitraries.ts';
import { parse, utf8 } from './parser-helpers.ts';

/** Cuts bytes at the given fractions of their length. */
function cut(bytes: Uint8Array, fractions: number[]): Uint8Array[] {
  const points = [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort(
    (a, b) => a - b,
  );
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const wire = (list: RoundTripMessage[]) => list.map((m) => encodeMessage(m)).join('');

test('encodeMessage then SSEParserStream gives back every message, however the bytes are cut', async () => {
  await fc.assert(
    fc.asyncProperty(
      messages,
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
      async (list, fractions) => {
        const expected = expectedEvents(list);
        const { events, lastEventId, retries, comments } = await parse(
          cut(utf8(wire(list)), fractions),
        );
        expect(events).toEqual(expected.events);
        expect(lastEventId).toBe(expected.lastEventId);
        expect(retries).toEqual(expected.retries);
        expect(comments).toEqual(expected.comments);
      },
    ),
    { numRuns: 200 },
  );
});

test('eventsource-parser reads the same events from the same text', () => {
  fc.assert(
    fc.property(messages, (list) => {
      const seen: [string, string, string | undefined][] = [];
      const parser = createParser({
        onEvent: ({ event, data, id }) => seen.push([event ?? 'message', data, id]),
      });
      parser.feed(wire(list));
      expect(seen).toEqual(expectedEvents(list).events.map((e) => [e.event, e.data, e.id]));
    }),
    { numRuns: 200 },
  );
});
