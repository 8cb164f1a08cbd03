import { beforeAll, describe, expect, test } from 'vitest';
import { connect, readEvents, SSEParseError, SSEParserStream } from '../../src/client/index.ts';
import { transformEvents } from '../../src/middleware/index.ts';

// vitest runs the node project with --expose-gc (vitest.config.ts).
const gc = (globalThis as { gc?: () => void }).gc!;

const MiB = 1024 * 1024;
const LIMIT = MiB;
const limits = { maxEventLength: LIMIT, maxLineLength: LIMIT };
/** What the heap holds after a full collection: what the reader keeps, not its garbage. */
const retained = () => {
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};

/**
 * An event that never ends: `line` over and over, never a blank line, in
 * chunks of about 16 KiB that cut every line in two (so the line buffer is
 * exercised too). Every 32 chunks the retained heap is sampled; `peak` is the
 * most it grew over `base`, taken before the reader was made.
 */
function hostile(line: string) {
  const cut = line.length >> 1;
  const encoder = new TextEncoder();
  const first = encoder.encode(line.slice(0, cut));
  const chunk = encoder.encode(
    (line.slice(cut) + line.slice(0, cut)).repeat(Math.ceil(16384 / line.length)),
  );
  const state = { base: retained(), peak: 0, fed: 0 };
  let chunks = 0;
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(first),
    pull(controller) {
      if (++chunks % 32 === 0) state.peak = Math.max(state.peak, retained() - state.base);
      // Four times what the limit allows through: the reader must have refused it by then.
      if (state.fed > 4 * LIMIT * line.length) throw new Error('the reader kept reading');
      state.fed += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { body, state };
}

const eventStream = (body: ReadableStream<Uint8Array>) =>
  new Response(body, { headers: { 'content-type': 'text/event-stream' } });

/** Each reader, fed `body`, until it fails; returns what it failed with. */
const readers: Record<string, (body: ReadableStream<Uint8Array>) => Promise<unknown>> = {
  async SSEParserStream(body) {
    const reader = body.pipeThrough(new SSEParserStream(limits)).getReader();
    for (;;) if ((await reader.read()).done) return undefined;
  },
  async readEvents(body) {
    for await (const _ of readEvents(body, limits));
  },
  async connect(body) {
    const fetch = async () => eventStream(body);
    for await (const _ of connect('http://test/', { ...limits, fetch, reconnect: false }));
  },
  async transformEvents(body) {
    const errors: unknown[] = [];
    const relayed = transformEvents(eventStream(body), {
      ...limits,
      heartbeat: false,
      onError: (error) => {
        errors.push(error);
      },
    });
    const reader = relayed.body!.getReader();
    while (!(await reader.read()).done);
    throw errors[0];
  },
};

// Each reader once on a short stream first: what loads on first use (the
// Response internals, compiled code) is not what a reader holds.
beforeAll(async () => {
  for (const read of Object.values(readers)) {
    await read(new Response('data: x\n\n').body!).catch(() => {});
  }
});

describe.each(['data:\n', 'data: x\n'])('a never-ending event of %j lines', (line) => {
  test.each(Object.keys(readers))(
    '%s refuses it, holding at most 4x the limit',
    async (name) => {
      const { body, state } = hostile(line);
      const error = await readers[name]!(body).then(
        () => undefined,
        (cause: unknown) => cause,
      );
      expect(error).toBeInstanceOf(SSEParseError);
      expect((error as SSEParseError).reason).toBe('event-too-long');
      expect(state.peak).toBeGreaterThan(0);
      expect(state.peak).toBeLessThanOrEqual(4 * LIMIT);
    },
    20_000,
  );
});
