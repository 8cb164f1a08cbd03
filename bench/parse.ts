/**
 * Parser throughput: ssekit's SSEParserStream and createSSEParser against
 * eventsource-parser's EventSourceParserStream (behind the TextDecoderStream
 * it needs) and its createParser, on the same bytes, cut into 64-byte and
 * 16 KiB chunks. readEvents, which reads a body without a stream in
 * between, is compared with the same eventsource-parser stream. Run with
 * `npm run bench:parse`; it prints a table.
 */
import { createParser } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { createSSEParser, readEvents, SSEParserStream } from '../src/client/index.ts';
import { encodeMessage } from '../src/index.ts';

const TARGET_BYTES = 4 * 1024 * 1024;
const ROUNDS = Number(process.env.ROUNDS ?? 9);

/** A mix of what real streams carry: token deltas, JSON snapshots, ids, names, comments. */
function corpus(): Uint8Array {
  let text = '';
  let n = 0;
  while (text.length < TARGET_BYTES) {
    n++;
    if (n % 50 === 0) text += ': keep-alive\n\n';
    else if (n % 10 === 0) {
      const rows = Array.from({ length: 20 }, (_, i) => ({ i, name: `row ${i}`, value: n * i }));
      text += encodeMessage({ event: 'snapshot', id: n, data: { rows } });
    } else {
      text += encodeMessage({ id: n, data: { choices: [{ delta: { content: `token ${n} ` } }] } });
    }
  }
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

type Run = () => Promise<number> | number;

const contenders = (chunks: Uint8Array[], texts: string[]): Record<string, Run> => ({
  'ssekit SSEParserStream': () => drain(source(chunks).pipeThrough(new SSEParserStream())),
  'ssekit readEvents': async () => {
    let count = 0;
    for await (const _ of readEvents(source(chunks))) count++;
    return count;
  },
  'eventsource-parser stream': () =>
    drain(
      source(chunks)
        .pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
        .pipeThrough(new EventSourceParserStream()),
    ),
  'ssekit createSSEParser feed': () => {
    let count = 0;
    const parser = createSSEParser({ onEvent: () => count++ });
    for (const text of texts) parser.feed(text);
    return count;
  },
  'eventsource-parser feed': () => {
    let count = 0;
    const parser = createParser({ onEvent: () => count++ });
    for (const text of texts) parser.feed(text);
    return count;
  },
});

/** Best time of each contender, running them in turns so that load on the machine hits all alike. */
async function measure(runs: Record<string, Run>, bytes: number) {
  const best: Record<string, { mbps: number; events: number }> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(runs)) {
      const start = performance.now();
      const events = await run();
      const mbps = bytes / 1024 / 1024 / ((performance.now() - start) / 1000);
      if (!best[name] || mbps > best[name].mbps) best[name] = { mbps, events };
    }
  }
  return best;
}

const bytes = corpus();
console.log(`corpus: ${(bytes.length / 1024 / 1024).toFixed(1)} MiB, best of ${ROUNDS} rounds`);
console.log('| chunks | parser | MiB/s | events | vs eventsource-parser |');
console.log('|---|---|---:|---:|---:|');
for (const size of [64, 16 * 1024]) {
  const chunks = cut(bytes, size);
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const texts = chunks.map((chunk) => decoder.decode(chunk, { stream: true }));
  const results = await measure(contenders(chunks, texts), bytes.length);
  for (const [name, { mbps, events }] of Object.entries(results)) {
    const peer = name.endsWith('feed')
      ? results['eventsource-parser feed']!
      : results['eventsource-parser stream']!;
    const ratio = name.startsWith('ssekit') ? `${(mbps / peer.mbps).toFixed(2)}x` : '';
    const label = size === 64 ? '64 B' : '16 KiB';
    console.log(`| ${label} | ${name} | ${mbps.toFixed(1)} | ${events} | ${ratio} |`);
  }
}
