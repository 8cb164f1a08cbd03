// A client cut anywhere resumes with its Last-Event-ID and, over all its
// connections, gets the uncut stream byte for byte: every event once, in
// order, ids increasing. A made-up answer of n chunks; cuts at every chunk
// boundary, then (a property) at arbitrary byte offsets or after a number
// of events, several times, while the answer is written or after its end.
import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  createMemoryStreamStore,
  createResumableStreams,
  type ResumableStreams,
} from '../../src/resumable/index.ts';

interface Chunk {
  event?: string;
  data: string;
}

/** Where a connection is cut: after this many bytes, or after this many whole events. */
type Cut = { bytes: number } | { events: number };

const decoder = new TextDecoder();
let streamCount = 0;

/** Starts an answer of `chunks`: `live`, a macrotask between chunks, so that readers catch up with it. */
async function startAnswer(streams: ResumableStreams, chunks: Chunk[], live: boolean) {
  const id = `answer-${++streamCount}`;
  const started = await streams.start(id, async function* () {
    for (const chunk of chunks) {
      if (live) await new Promise((resolve) => setTimeout(resolve, 0));
      yield chunk;
    }
  });
  await started.body!.cancel();
  return id;
}

/** The event blocks of SSE text (each without its blank line), comments left out. */
const eventBlocks = (text: string) =>
  text.split('\n\n').filter((block) => block !== '' && !/^(:[^\n]*\n?)+$/.test(block));

/**
 * One connection: a resume after `lastEventId`, read until `cut` (or the
 * end), then cancelled. What a client keeps of it: the whole events only
 * (an event cut short is dropped, as EventSource drops it).
 */
async function connection(
  streams: ResumableStreams,
  id: string,
  lastEventId: string,
  cut: Cut | undefined,
): Promise<{ status: number; blocks: string[] }> {
  const headers: Record<string, string> = lastEventId ? { 'last-event-id': lastEventId } : {};
  const response = await streams.resume(id, {
    request: new Request('http://localhost/', { headers }),
  });
  if (response.status !== 200) return { status: response.status, blocks: [] };
  const reader = response.body!.getReader();
  const bytes: number[] = [];
  const wholeEvents = () => {
    const end = lastBlankLine(bytes);
    return eventBlocks(decoder.decode(new Uint8Array(bytes.slice(0, end))));
  };
  for (;;) {
    if (cut && 'bytes' in cut && bytes.length >= cut.bytes) break;
    if (cut && 'events' in cut && wholeEvents().length >= cut.events) break;
    const { done, value } = await reader.read();
    if (done) break;
    bytes.push(...value);
  }
  await reader.cancel();
  if (cut && 'bytes' in cut) bytes.length = Math.min(bytes.length, cut.bytes);
  let blocks = wholeEvents();
  if (cut && 'events' in cut) blocks = blocks.slice(0, cut.events);
  return { status: 200, blocks };
}

/** The offset just past the last blank line ("\n\n") in `bytes`: what a parser has whole. */
function lastBlankLine(bytes: number[]): number {
  for (let at = bytes.length - 1; at > 0; at--) {
    if (bytes[at] === 10 && bytes[at - 1] === 10) return at + 1;
  }
  return 0;
}

/** The id a client sends next: the last `id:` of the events it has. */
function lastIdOf(blocks: string[], previous: string): string {
  for (let at = blocks.length - 1; at >= 0; at--) {
    const found = /^id: (.*)$/m.exec(blocks[at]!);
    if (found) return found[1]!;
  }
  return previous;
}

/**
 * A client through `cuts`, reconnecting after each with its Last-Event-ID,
 * then reading to the end: the event blocks it got over all connections,
 * and the status of one more resume after them.
 */
async function cutClient(streams: ResumableStreams, id: string, cuts: Cut[]) {
  let lastEventId = '';
  const got: string[] = [];
  for (const cut of [...cuts, undefined]) {
    const { status, blocks } = await connection(streams, id, lastEventId, cut);
    // 204: nothing after the cursor and the stream ended; a client stops.
    if (status === 204) return { got, after: status };
    expect(status).toBe(200);
    got.push(...blocks);
    lastEventId = lastIdOf(blocks, lastEventId);
  }
  const after = await connection(streams, id, lastEventId, undefined);
  return { got, after: after.status };
}

/** What a spec-following parser makes of event blocks. */
function parsed(blocks: string[]) {
  const events: { id?: string; event?: string; data: string }[] = [];
  const parser = createParser({
    onEvent: ({ id, event, data }) => events.push({ id, event, data }),
  });
  parser.feed(blocks.map((block) => `${block}\n\n`).join(''));
  return events;
}

/** Checks what a cut client got against the uncut stream and the answer's chunks. */
function expectUncut(got: string[], uncut: string[], chunks: Chunk[]) {
  expect(got.join('\n\n')).toBe(uncut.join('\n\n')); // byte for byte
  const events = parsed(got);
  expect(events.map(({ event, data }) => ({ event, data }))).toEqual(
    chunks.map(({ event, data }) => ({ event, data: data.replace(/\r\n?/g, '\n') })),
  );
  // Ids of one epoch, n one more each time: increasing, none repeated, none missing.
  const ids = events.map((event) => event.id!);
  const epoch = ids[0]?.slice(0, ids[0].lastIndexOf('-'));
  expect(ids).toEqual(chunks.map((_, n) => `${epoch}-${n + 1}`));
}

const uncutOf = async (streams: ResumableStreams, id: string) =>
  (await connection(streams, id, '', undefined)).blocks;

test('a client cut at every chunk boundary resumes to the uncut stream, byte for byte', async () => {
  const streams = createResumableStreams({ store: createMemoryStreamStore() });
  const chunks: Chunk[] = Array.from({ length: 24 }, (_, n) => ({
    event: n % 3 ? 'token' : undefined,
    data: n % 5 ? `chunk ${n} ` : `line ${n}\nand a second`,
  }));
  const id = await startAnswer(streams, chunks, false);
  const uncut = await uncutOf(streams, id);
  expect(uncut.length).toBe(chunks.length);
  for (let k = 0; k <= chunks.length; k++) {
    const { got, after } = await cutClient(streams, id, [{ events: k }]);
    expectUncut(got, uncut, chunks);
    expect(after).toBe(204);
  }
  // And cut at every boundary on one client: one event per connection.
  const { got, after } = await cutClient(
    streams,
    id,
    chunks.map(() => ({ events: 1 })),
  );
  expectUncut(got, uncut, chunks);
  expect(after).toBe(204);
});

const text = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      fc.constantFrom('\n', '\r\n', '\r', ' ', 'data: x'),
    ),
    {
      maxLength: 5,
    },
  )
  .map((parts) => parts.join(''));
const chunk: fc.Arbitrary<Chunk> = fc.record(
  { event: fc.stringMatching(/^[a-z][a-z-]{0,7}$/), data: text },
  { requiredKeys: ['data'] },
);
const cut: fc.Arbitrary<Cut> = fc.oneof(
  fc.record({ bytes: fc.nat({ max: 600 }) }),
  fc.record({ events: fc.nat({ max: 12 }) }),
);

test('cut anywhere, several times, while written or after the end: the uncut stream, once', async () => {
  const streams = createResumableStreams({ store: createMemoryStreamStore() });
  await fc.assert(
    fc.asyncProperty(
      fc.array(chunk, { minLength: 1, maxLength: 30 }),
      fc.array(cut, { maxLength: 5 }),
      fc.boolean(),
      async (chunks, cuts, live) => {
        const id = await startAnswer(streams, chunks, live);
        // The cut client first, while a live answer is still being written.
        const { got, after } = await cutClient(streams, id, cuts);
        const uncut = await uncutOf(streams, id);
        expect(await streams.status(id)).toBe('done');
        expectUncut(got, uncut, chunks);
        expect(after).toBe(204);
      },
    ),
    { numRuns: 150 },
  );
}, 60_000);
