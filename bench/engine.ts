// The engine alone, in process: 100,000 events from a tight async generator,
// read by ssekit on the direct path (a sink that always takes, as a socket
// with room does) and through the body (a web reader), against a bare
// `for await` that encodes the same events the same way and joins them into
// chunks of about 16 KiB with nothing in between. What separates ssekit from
// the bare loop is the engine's own cost: the hand-over between source and
// consumer, batching, backpressure, the close path.

import { encodeMessage, preEncode, sseResponse } from '../src/index.ts';
import { directStream } from '../src/server/direct.ts';
import { compare, report } from './_harness.ts';
import { payload } from './_workload.ts';

const COUNT = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const encoder = new TextEncoder();
const encoded = Array.from({ length: COUNT }, (_, id) =>
  preEncode({ event: 'update', id, data: payload }),
);

async function* values() {
  for (let id = 0; id < COUNT; id++) yield { event: 'update', id, data: payload };
}

async function* preEncoded() {
  yield* encoded;
}

/** Writes every chunk into a sink that always takes; resolves the events read. */
function direct(source: () => AsyncGenerator<unknown>): Promise<number> {
  const response = sseResponse(source as never, { heartbeat: false });
  return new Promise((resolve, reject) => {
    const attached = directStream(response)?.attach({
      write: () => true,
      end: () => resolve(COUNT),
      destroy: () => reject(new Error('cut')),
    });
    if (!attached) reject(new Error('no direct path'));
  });
}

async function body(source: () => AsyncGenerator<unknown>): Promise<number> {
  const reader = sseResponse(source as never, { heartbeat: false }).body!.getReader();
  while (!(await reader.read()).done);
  return COUNT;
}

/** The bare loop: the same encoding and 16 KiB chunks, nothing in between. */
async function bare(source: () => AsyncGenerator<unknown>): Promise<number> {
  let bytes = 0;
  let text = '';
  for await (const item of source()) {
    text += encodeMessage(item as never);
    if (text.length < 16 * 1024) continue;
    bytes += encoder.encode(text).byteLength;
    text = '';
  }
  bytes += encoder.encode(text).byteLength;
  return bytes > 0 ? COUNT : 0;
}

const figures = await compare(
  [
    { name: 'ssekit, direct path, values', ours: true, run: () => direct(values) },
    { name: 'ssekit, body, values', ours: true, run: () => body(values) },
    { name: 'ssekit, direct path, pre-encoded', ours: true, run: () => direct(preEncoded) },
    { name: 'ssekit, body, pre-encoded', ours: true, run: () => body(preEncoded) },
    { name: 'limit: bare for await, values', limit: true, run: () => bare(values) },
  ],
  ROUNDS,
);
report(`The engine alone: ${COUNT.toLocaleString('en-US')} events, in process`, 'events', figures);
