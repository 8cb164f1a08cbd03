// Encode, in process: 200,000 messages (event, numeric id, ~100 bytes of
// JSON) from a generator, read to completion from the Response body.
import { createResponse } from 'better-sse';
import { encodeMessage, sseResponse } from '../src/index.ts';
import { compare, report } from './_harness.ts';
import { h3App, honoApp, payload } from './_workload.ts';

// better-sse rejects a promise nobody handles when its reader is cancelled
// (a known flaw of its own); count those instead of crashing the benchmark.
let unhandled = 0;
process.on('unhandledRejection', () => void unhandled++);

const COUNT = Number(process.argv[2] ?? 200_000);

async function* messages() {
  for (let id = 0; id < COUNT; id++) yield payload;
}

const END = new TextEncoder().encode('data:""\n\n');
function endsWith(bytes: Uint8Array, tail: Uint8Array): boolean {
  if (bytes.byteLength < tail.byteLength) return false;
  const offset = bytes.byteLength - tail.byteLength;
  return tail.every((byte, index) => bytes[offset + index] === byte);
}

async function drain(response: Response): Promise<number> {
  const reader = response.body!.getReader();
  let bytes = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    bytes += chunk.value.byteLength;
  }
  return bytes;
}

const hono = honoApp(COUNT);

const h3 = h3App(COUNT);

// The floor: the same bytes, pre-encoded, in 16 KiB chunks.
const wire = new TextEncoder().encode(
  Array.from({ length: COUNT }, (_, id) =>
    encodeMessage({ event: 'update', id, data: payload }),
  ).join(''),
);

const figures = await compare([
  {
    name: 'ssekit sseResponse',
    ours: true,
    run: async () => {
      await drain(
        sseResponse(
          async function* () {
            for (let id = 0; id < COUNT; id++) yield { event: 'update', id, data: payload };
          },
          { heartbeat: false },
        ),
      );
      return COUNT;
    },
  },
  {
    name: 'hono streamSSE',
    run: async () => {
      await drain(await hono.request('/'));
      return COUNT;
    },
  },
  {
    name: 'h3 EventStream',
    run: async () => {
      await drain(await h3.fetch(new Request('http://localhost/')));
      return COUNT;
    },
  },
  {
    name: 'better-sse createResponse',
    run: async () => {
      // better-sse cannot end a Fetch-mode session, so a last event marks the end.
      const response = createResponse(new Request('http://localhost/'), async (session) => {
        await session.iterate(messages(), { eventName: 'update' });
        session.push('', 'end');
      });
      const reader = response.body!.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        if (endsWith(chunk.value, END)) break;
      }
      await reader.cancel();
      return COUNT;
    },
  },
  {
    name: 'limit: pre-encoded 16 KiB chunks',
    limit: true,
    run: async () => {
      let offset = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= wire.byteLength) return controller.close();
          controller.enqueue(wire.subarray(offset, (offset += 16 * 1024)));
        },
      });
      await drain(new Response(body));
      return COUNT;
    },
  },
]);
report(`Encode: ${COUNT.toLocaleString('en-US')} messages, in process`, 'messages', figures);
if (unhandled)
  console.log(
    `(${unhandled} unhandled rejections raised by peers after their streams were cancelled)`,
  );
// better-sse leaves its Fetch-mode sessions (and their timers) open: exit explicitly.
process.exit(0);
