import { describe, expect, test } from 'vitest';
import {
  concat,
  eventsourceParser,
  hexBytes,
  latin1,
  parse,
  splits,
  utf8,
  wpt,
} from './parser-helpers.ts';

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

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const bytes = hexBytes(c.body_hex);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const inputs = [...splits(bytes), ...splits(text)];
    if (c.chunks) inputs.push(c.chunks.map(utf8));
    for (const chunks of inputs) {
      const result = await parse(chunks, { lastEventId: c.initial_last_event_id ?? '' });
      const where = `${chunks.length} chunks of ${chunks.map((chunk) => chunk.length)}`;
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
  test.each(eventsourceParser.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    // One case stands for bytes that a latin1 decoder turned into chars
    // 0-255 (a raw BOM as "\u00ef\u00bb\u00bf"): feed it as those bytes.
    const encode = c.name.includes('latin1') ? latin1 : utf8;
    const given = c.chunks.map(encode);
    for (const chunks of [given, ...splits(concat(given))]) {
      const result = await parse(chunks);
      const where = `${chunks.length} chunks of ${chunks.map((chunk) => chunk.length)}`;
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
  });
});
