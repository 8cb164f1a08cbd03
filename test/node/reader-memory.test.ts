import { beforeAll, describe, expect, test } from 'vitest';
import { connect, readEvents, SSEParseError, SSEParserStream } from '../../src/client/index.ts';
import { transformEvents } from '../../src/middleware/index.ts';

// vitest runs the node project with --expose-gc (vitest.config.ts).
const gc = (globalThis as { gc?: () => void }).gc!;

const MiB = 1024 * 1024;
const LIMIT = MiB;
const limits = { maxEventLength: LIMIT, maxLineLength: LIMIT };
/** The readers' default `maxEventLength`, in characters. */
const DEFAULT_LIMIT = 16 * MiB;
/** What the heap holds after a full collection: what the reader keeps, not its garbage. */
const retained = () => {
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};

/**
 * An event that never ends: `line` over and over, never a blank line, in
 * chunks of about 16 KiB (or `chunkSize`) that cut every line in two (so the
 * line buffer is exercised too). Every 32 chunks the retained heap is sampled; `peak` is the
 * most it grew over `base`, taken before the reader was made.
 */
function hostile(line: string, limit = LIMIT, chunkSize = 16384) {
  const cut = line.length >> 1;
  const encoder = new TextEncoder();
  const first = encoder.encode(line.slice(0, cut));
  const chunk = encoder.encode(
    (line.slice(cut) + line.slice(0, cut)).repeat(Math.ceil(chunkSize / line.length)),
  );
  const state = { base: retained(), peak: 0, fed: 0 };
  let chunks = 0;
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(first),
    pull(controller) {
      if (++chunks % 32 === 0) state.peak = Math.max(state.peak, retained() - state.base);
      // Four times what the limit allows through: the reader must have refused it by then.
      if (state.fed > 4 * limit * line.length) throw new Error('the reader kept reading');
      state.fed += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { body, state };
}

const eventStream = (body: ReadableStream<Uint8Array>) =>
  new Response(body, { headers: { 'content-type': 'text/event-stream' } });

type Limits = typeof limits | Record<string, never>;

/** Each reader, fed `body`, until it fails; returns what it failed with. */
const readers: Record<
  string,
  (body: ReadableStream<Uint8Array>, options?: Limits) => Promise<unknown>
> = {
  async SSEParserStream(body, options = limits) {
    const reader = body.pipeThrough(new SSEParserStream(options)).getReader();
    for (;;) if ((await reader.read()).done) return undefined;
  },
  async readEvents(body, options = limits) {
    for await (const _ of readEvents(body, options));
  },
  async connect(body, options = limits) {
    const fetch = async () => eventStream(body);
    for await (const _ of connect('http://test/', { ...options, fetch, reconnect: false }));
  },
  async transformEvents(body, options = limits) {
    const errors: unknown[] = [];
    const relayed = transformEvents(eventStream(body), {
      ...options,
      heartbeat: false,
      onError: (error) => {
        errors.push(error);
      },
    });
    // The relayed body ends broken: what onError was told is the reason.
    const reader = relayed.body!.getReader();
    await (async () => {
      while (!(await reader.read()).done);
    })().catch(() => {});
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

// At the default limit (16 Mi characters), what one reader holds before it
// refuses, in the worst case: text beyond Latin-1, which V8 keeps two bytes a
// character (Latin-1 text takes 1 to 1.4). What the README promises a
// gateway per upstream: at most 36 MiB.
describe('at the default limit, a never-ending event of "data: \u0100" lines', () => {
  const line = 'data: \u0100\n';
  test.each(Object.keys(readers))(
    '%s refuses it, holding at most 2.25 bytes a character',
    async (name) => {
      // Chunks of 64 KiB: the heap is sampled every 2 MiB, a full GC each.
      const { body, state } = hostile(line, DEFAULT_LIMIT, 65536);
      const error = await readers[name]!(body, {}).then(
        () => undefined,
        (cause: unknown) => cause,
      );
      expect(error).toBeInstanceOf(SSEParseError);
      expect((error as SSEParseError).reason).toBe('event-too-long');
      // 9 bytes a line of two characters: the reader took the whole default.
      expect(state.fed).toBeGreaterThan(4 * DEFAULT_LIMIT);
      expect(state.peak).toBeGreaterThan(DEFAULT_LIMIT);
      expect(state.peak).toBeLessThanOrEqual(2.25 * DEFAULT_LIMIT);
    },
    60_000,
  );
});
