/**
 * Parser throughput: ssekit's SSEParserStream and createSSEParser against
 * eventsource-parser's EventSourceParserStream (behind the TextDecoderStream
 * it needs) and its createParser, on the same bytes, cut into 64-byte and
 * 16 KiB chunks. readEvents, which reads a body without a stream in
 * between, is compared with the same eventsource-parser stream. Run with
 * `npm run bench:parse`; it prints markdown tables.
 */
import { spawnSync } from 'node:child_process';
import { createParser } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { createSSEParser, readEvents, SSEParserStream } from '../src/client/index.ts';
import { encodeMessage } from '../src/index.ts';
import { type Contender, compare, report } from './_harness.ts';

const TARGET_BYTES = 4 * 1024 * 1024;
const ROUNDS = Number(process.env.ROUNDS ?? 9);

/**
 * The corpora, 4 MiB of events each. `mixed`: what real streams carry, token
 * deltas with ids, JSON snapshots with a name every tenth event (long
 * lines), a comment every fiftieth. `tokens`: a model's answer as a relay
 * reads it, every event a short `event:`, `id:` and `data:` line.
 */
const CORPORA: Record<string, (n: number) => string> = {
  mixed: (n) => {
    if (n % 50 === 0) return ': keep-alive\n\n';
    if (n % 10 === 0) {
      const rows = Array.from({ length: 20 }, (_, i) => ({ i, name: `row ${i}`, value: n * i }));
      return encodeMessage({ event: 'snapshot', id: n, data: { rows } });
    }
    return encodeMessage({ id: n, data: { choices: [{ delta: { content: `token ${n} ` } }] } });
  },
  tokens: (n) => encodeMessage({ event: 'delta', id: n, data: { i: n, text: `token ${n} ` } }),
};

function corpus(name: string): Uint8Array {
  let text = '';
  for (let n = 1; text.length < TARGET_BYTES; n++) text += CORPORA[name]!(n);
  return new TextEncoder().encode(text);
}

function cut(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

function source(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

async function drain(stream: ReadableStream<unknown>): Promise<number> {
  const reader = stream.getReader();
  let count = 0;
  while (!(await reader.read()).done) count++;
  return count;
}

/** How many events end in each chunk: what any parser must hand out per chunk. */
function eventsPerChunk(chunks: Uint8Array[]): number[] {
  let count = 0;
  const parser = createSSEParser({ onEvent: () => count++ });
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  return chunks.map((chunk) => {
    count = 0;
    parser.feed(decoder.decode(chunk, { stream: true }));
    return count;
  });
}

const STREAM = { stream: true };
const PLACEHOLDER = { event: 'message', data: '', id: undefined, lastEventId: '' };

const streams = (chunks: Uint8Array[], counts = eventsPerChunk(chunks)): Contender[] => [
  {
    // No parsing at all: a TransformStream that enqueues a ready-made object
    // for each event. No TransformStream-based parser can beat it.
    name: 'limit: pipeThrough, no parsing',
    limit: true,
    run: () => {
      let i = 0;
      const empty = new TransformStream<Uint8Array, object>(
        {
          transform(_, controller) {
            for (let n = counts[i++]!; n > 0; n--) controller.enqueue(PLACEHOLDER);
          },
        },
        undefined,
        { highWaterMark: 16 },
      );
      return drain(source(chunks).pipeThrough(empty));
    },
  },
  {
    name: 'ssekit SSEParserStream',
    ours: true,
    run: () => drain(source(chunks).pipeThrough(new SSEParserStream())),
  },
  {
    name: 'ssekit readEvents',
    ours: true,
    run: async () => {
      let count = 0;
      for await (const _ of readEvents(source(chunks))) count++;
      return count;
    },
  },
  {
    // Bytes in without a stream: what a hand-written reader of a body does.
    name: 'eventsource-parser createParser().feed + TextDecoder',
    run: async () => {
      let count = 0;
      const parser = createParser({ onEvent: () => count++ });
      const decoder = new TextDecoder();
      for (const chunk of chunks) parser.feed(decoder.decode(chunk, STREAM));
      return count;
    },
  },
  {
    name: 'eventsource-parser EventSourceParserStream',
    run: () =>
      drain(
        source(chunks)
          .pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
          .pipeThrough(new EventSourceParserStream()),
      ),
  },
];

// Text as a TextDecoder hands it over: flat strings, not slices of one big
// string (a slice makes every character access a little slower).
const feeds = (texts: string[]): Contender[] => [
  {
    name: 'ssekit createSSEParser().feed',
    ours: true,
    run: async () => {
      let count = 0;
      const parser = createSSEParser({ onEvent: () => count++ });
      for (const text of texts) parser.feed(text);
      return count;
    },
  },
  {
    name: 'eventsource-parser createParser().feed',
    run: async () => {
      let count = 0;
      const parser = createParser({ onEvent: () => count++ });
      for (const text of texts) parser.feed(text);
      return count;
    },
  },
];

// Each corpus and chunk size in a process of its own: what the JIT learned
// of one's shapes (cut lines at 64 bytes, whole ones at 16 KiB, long lines
// or short) must not favour one contender at the next. Every contender
// alternates within a process.
const RUN = process.env.PARSE_RUN;
if (!RUN) {
  console.log(
    `Corpora: 4 MiB of events each (mixed: deltas, snapshots, comments; tokens: short event, id and data lines); rates are events per second, median of ${ROUNDS} alternating rounds; each corpus and chunk size in a fresh process.\n`,
  );
  for (const name of Object.keys(CORPORA)) {
    for (const size of [64, 16 * 1024]) {
      const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!], {
        stdio: 'inherit',
        env: { ...process.env, PARSE_RUN: `${name}:${size}` },
      });
      if (child.status !== 0) process.exit(child.status ?? 1);
    }
  }
  process.exit(0);
}
const [name, sizeText] = RUN.split(':') as [string, string];
const size = Number(sizeText);
const bytes = corpus(name);
const chunks = cut(bytes, size);
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const texts = chunks.map((chunk) => decoder.decode(chunk, { stream: true }));
const label = `${name} corpus, ${size === 64 ? '64-byte chunks' : '16 KiB chunks'}`;
const figures = await compare(streams(chunks), ROUNDS);
report(`Bytes to events, ${label}`, 'events', figures);
const rate = (contender: string) => figures.find((f) => f.name === contender)!.median;
const ratio = (ours: string, peer: string, target: number) =>
  `- ${ours} × ${peer}: **${(rate(ours) / rate(peer)).toFixed(2)}** (target ≥ ${target})`;
console.log(
  `${[
    ratio('ssekit SSEParserStream', 'eventsource-parser EventSourceParserStream', 2),
    ratio('ssekit readEvents', 'eventsource-parser createParser().feed + TextDecoder', 1),
  ].join('\n')}\n`,
);
report(`Decoded text to events, ${label}`, 'events', await compare(feeds(texts), ROUNDS));
