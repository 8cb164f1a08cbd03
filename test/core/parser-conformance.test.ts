import { describe, expect, test } from 'vitest';
import {
  concat,
  cutsInTwo,
  eventsourceParser,
  hexBytes,
  latin1,
  type Parsed,
  parse,
  parseSync,
  utf8,
  wpt,
} from './parser-helpers.ts';

type Chunks = (Uint8Array | string)[];

/**
 * Runs a case whole and one unit at a time through SSEParserStream, and cut
 * in two at every position through the same parser and decoder without the
 * stream around them (thousands of streams would take seconds).
 */
async function* everyWay(inputs: (Uint8Array | string)[], given: Chunks[], options = {}) {
  const where = (chunks: Chunks) => `${chunks.length} chunks of ${chunks.map((c) => c.length)}`;
  for (const input of inputs) {
    const whole = [input];
    const units = Array.from({ length: input.length }, (_, i) => input.slice(i, i + 1));
    for (const chunks of [whole, units, ...given]) {
      yield [where(chunks), await parse(chunks, options)] as [string, Parsed];
    }
    for (const chunks of cutsInTwo(input))
      yield [where(chunks), parseSync(chunks, options)] as [string, Parsed];
  }
}

// Two WPT cases are about the response's MIME type, not its body: the
// parser cannot see those (client-conformance tests them through connect).
const isEventStream = (type: string) =>
  type.split(';')[0]!.trim().toLowerCase() === 'text/event-stream';

describe('web-platform-tests format cases', () => {
  const cases = wpt.filter((c) => isEventStream(c.content_type));

  test('the data holds all 42 cases, 40 of them about the body', () => {
    expect(wpt).toHaveLength(42);
    expect(cases).toHaveLength(40);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', { timeout: 30_000 }, async (_, c) => {
    const bytes = hexBytes(c.body_hex);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const given = c.chunks ? [c.chunks.map(utf8)] : [];
    const options = { lastEventId: c.initial_last_event_id ?? '' };
    for await (const [where, result] of everyWay([bytes, text], given, options)) {
      expect(
        result.events.map(({ event, data, lastEventId }) => ({ event, data, id: lastEventId })),
        where,
      ).toEqual(c.expected);
      expect(result.lastEventId, where).toBe(c.expected_last_event_id_after);
      expect(result.retries.at(-1), where).toBe(c.expected_reconnection_time_ms);
    }
  });
});

describe('eventsource-parser cases', () => {
  test.each(eventsourceParser.map((c) => [c.name, c] as const))(
    '%s',
    { timeout: 30_000 },
    async (_, c) => {
      // One case stands for bytes that a latin1 decoder turned into chars
      // 0-255 (a raw BOM as "\u00ef\u00bb\u00bf"): feed it as those bytes.
      const encode = c.name.includes('latin1') ? latin1 : utf8;
      const given = c.chunks.map(encode);
      for await (const [where, result] of everyWay([concat(given)], [given])) {
        expect(
          result.events.map(({ event, data }) => [event, data]),
          where,
        ).toEqual(c.spec_reference_event_data);
        // eventsource-parser's `id` is the id of the event's own block: ours too.
        expect(
          result.events.map(({ id }) => id),
          where,
        ).toEqual(c.upstream_expected.map(({ id }) => id));
        expect(result.retries, where).toEqual(c.onRetry_calls);
        expect(result.lastEventId, where).toBe(c.onId_calls.at(-1) ?? '');
      }
    },
  );
});
