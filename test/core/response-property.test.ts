import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { SSEEncoderStream, sseResponse, type UntypedMessage } from '../../src/index.ts';
import { BREAKOUT_PIECES } from './parser-arbitraries.ts';

// The break-out pieces of the parser tests plus lone surrogates, which UTF-8
// turns into U+FFFD, mixed with arbitrary strings.
const tricky = fc
  .array(
    fc.oneof(
      fc.constantFrom(...BREAKOUT_PIECES, '\uD800', '\uDC00'),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));
const singleLine = tricky.map((text) => text.replace(/[\r\n]/g, ''));

const message: fc.Arbitrary<UntypedMessage | string> = fc.oneof(
  tricky,
  fc.record(
    {
      event: singleLine,
      data: fc.oneof(tricky, fc.jsonValue()),
      id: singleLine.map((text) => text.replace(/\0/g, '')),
      comment: tricky,
    },
    { requiredKeys: [] },
  ),
);

/** What UTF-8 makes of a string: lone surrogates become U+FFFD. */
const wellFormed = (text: string) =>
  text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** The events and comments a spec-following client must see for `messages`. */
function expected(messages: (UntypedMessage | string)[]) {
  const events: Partial<EventSourceMessage>[] = [];
  const comments: string[] = [];
  for (const item of messages) {
    const m = typeof item === 'string' ? { data: item } : item;
    if (m.comment !== undefined) {
      for (const line of wellFormed(m.comment).split(/\r\n|\r|\n/)) comments.push(line);
    }
    if (m.data === undefined && m.event === undefined) continue;
    const data =
      typeof m.data === 'string' || m.data === undefined ? m.data : JSON.stringify(m.data);
    events.push({
      event: m.event ? wellFormed(m.event) : undefined,
      id: m.id === undefined ? undefined : wellFormed(String(m.id)),
      data: wellFormed(data ?? '').replace(/\r\n|\r/g, '\n'),
    });
  }
  return { events, comments };
}

/** Reads an event stream the way the most used parser does, chunk by chunk. */
async function parse(body: ReadableStream<Uint8Array>) {
  const events: Partial<EventSourceMessage>[] = [];
  const comments: string[] = [];
  const parser = createParser({
    onEvent: ({ event, id, data }) => events.push({ event, id, data }),
    onComment: (comment) => comments.push(comment),
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    parser.feed(decoder.decode(chunk.value, { stream: true }));
  }
  return { events, comments };
}

test('whatever the fields hold, a parser sees exactly the messages sent', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(message, { maxLength: 12 }), async (messages) => {
      const response = sseResponse(messages, { heartbeat: false });
      const { events, comments } = await parse(response.body!);
      const want = expected(messages);
      expect(events).toEqual(want.events);
      expect(comments).toEqual(['', ...want.comments]); // '' is the preamble
    }),
    { numRuns: 300 },
  );
});

test('SSEEncoderStream writes the same bytes as sseResponse, one chunk per message', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 6 }), async (messages) => {
      const chunks: Uint8Array[] = [];
      const source = new ReadableStream<UntypedMessage | string>({
        start(controller) {
          for (const item of messages) controller.enqueue(item);
          controller.close();
        },
      });
      await source
        .pipeThrough(new SSEEncoderStream())
        .pipeTo(new WritableStream({ write: (chunk) => void chunks.push(chunk) }));
      expect(chunks).toHaveLength(messages.length);
      const decoder = new TextDecoder();
      const streamed = chunks.map((chunk) => decoder.decode(chunk)).join('');
      const response = await sseResponse(messages, { heartbeat: false }).text();
      expect(':\n\n' + streamed).toBe(response);
    }),
    { numRuns: 100 },
  );
});
