import fc from 'fast-check';
import { expect, test } from 'vitest';
import { createSSEParser, type SSEEvent } from '../../src/client/index.ts';
import { createHub, createMemoryLog } from '../../src/hub/index.ts';
import {
  createEventStream,
  encodeMessage,
  preEncode,
  SSEError,
  SSEOptionError,
  sseResponse,
} from '../../src/index.ts';
import { hostile } from './hostile-arbitraries.ts';
import { record, scale } from './scenario-helpers.ts';

// Hostile input, part one: every field of a message and every option, fuzzed
// with fast-check. A message is either refused with a typed error before
// anything is written, or it reads back as exactly what was given: one event
// at most, its own type, data, id and retry, nothing injected. An option is
// either accepted or refused with SSEOptionError, never anything else.
const RUNS = scale(3_000, 100_000);
const LINE_BREAK = /\r\n|\r|\n/;

const value = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: hostile },
  fc.integer(),
  fc.double(),
  fc.constant(undefined),
  fc.anything(),
  fc.constantFrom(
    () => 1,
    Symbol('s'),
    Promise.resolve(1),
    { toJSON: () => Symbol.for('x') },
    {
      toJSON() {
        throw Symbol('thrown');
      },
    },
    Object.create(null),
  ),
);
const message = fc.record(
  { event: value, id: value, retry: value, comment: value, data: value },
  { requiredKeys: [] },
);

interface Expected {
  events: { type: string; data: string; lastEventId: string }[];
  retry: number | undefined;
}

/** What a message must read back as, or 'refused' when it must throw. */
function expected(m: Record<string, unknown>, serialize?: (v: unknown) => string) {
  const { event, id, retry, comment, data } = m;
  const ok =
    (event === undefined || (typeof event === 'string' && !/[\r\n]/.test(event))) &&
    (id === undefined ||
      (typeof id === 'number' && Number.isFinite(id)) ||
      (typeof id === 'string' && !/[\r\n\0]/.test(id))) &&
    (retry === undefined ||
      (Number.isInteger(retry) && (retry as number) >= 0 && (retry as number) < 2 ** 31)) &&
    (comment === undefined || typeof comment === 'string') &&
    // Functions, symbols and promises are never data, whatever the serializer.
    typeof data !== 'function' &&
    typeof data !== 'symbol' &&
    typeof (data as { then?: unknown } | null)?.then !== 'function';
  if (!ok) return 'refused';
  let text: string | undefined;
  if (typeof data === 'string') text = data.split(LINE_BREAK).join('\n');
  else if (data !== undefined) {
    try {
      text = (serialize ?? JSON.stringify)(data);
    } catch {
      return 'refused';
    }
    if (typeof text !== 'string') return 'refused';
    text = text.split(LINE_BREAK).join('\n');
  } else if (event !== undefined) text = '';
  // -0 is written as 0.
  const result: Expected = { events: [], retry: retry === undefined ? undefined : +String(retry) };
  if (text !== undefined) {
    const type = event === undefined || event === '' ? 'message' : (event as string);
    result.events.push({ type, data: text, lastEventId: id === undefined ? '' : String(id) });
  }
  return result;
}

/** Reads wire text back with ssekit's spec-exact parser. */
function readBack(text: string): Expected {
  const events: Expected['events'] = [];
  let retry: number | undefined;
  const parser = createSSEParser({
    onEvent: ({ event, data, lastEventId }: SSEEvent) =>
      events.push({ type: event, data, lastEventId }),
    onRetry: (ms) => (retry = ms),
  });
  parser.feed(text);
  return { events, retry };
}

test(`message fields: refused with a typed error, or read back exactly (${RUNS} runs each)`, () => {
  let refused = 0;
  let accepted = 0;
  const serializer = fc.option(hostile.map((text) => () => text));
  fc.assert(
    fc.property(message, serializer, (m, custom) => {
      const serialize = custom ?? undefined;
      const want = expected(m, serialize);
      let text: string | undefined;
      try {
        text = encodeMessage(m as never, { serialize });
      } catch (error) {
        expect(error).toBeInstanceOf(SSEError);
      }
      // preEncode (the broadcast path) refuses and accepts exactly the same,
      // and holds the same bytes (a lone surrogate is U+FFFD in both).
      let encoded: Uint8Array | undefined;
      try {
        encoded = preEncode(m as never, { serialize }).bytes;
      } catch (error) {
        expect(error).toBeInstanceOf(SSEError);
      }
      expect(encoded).toEqual(text === undefined ? undefined : new TextEncoder().encode(text));
      if (want === 'refused') {
        expect(text).toBeUndefined();
        refused++;
        return;
      }
      expect(text).toBeDefined();
      expect(readBack(text!)).toEqual(want);
      accepted++;
    }),
    { numRuns: RUNS },
  );
  record('hostile input: message fields', { runs: RUNS, refused, accepted, injected: 0 });
});

test(`writer methods: a refused write writes nothing, an accepted one one message (${RUNS} runs)`, async () => {
  const calls = fc.array(
    fc.oneof(
      fc.tuple(fc.constant('event' as const), value, value, fc.option(message.map((m) => m))),
      fc.tuple(fc.constant('data' as const), value),
      fc.tuple(fc.constant('comment' as const), value),
      fc.tuple(fc.constant('retry' as const), value),
      fc.tuple(fc.constant('send' as const), value),
    ),
    { maxLength: 6 },
  );
  await fc.assert(
    fc.asyncProperty(calls, async (list) => {
      const { response, writer } = createEventStream({ heartbeat: false });
      const written: string[] = [];
      for (const [method, a, b, c] of list) {
        const before = writer.desiredSize;
        try {
          const fields = c ? { id: c.id, retry: c.retry } : undefined;
          const call = writer[method] as (...args: unknown[]) => boolean;
          expect(call(a, b, fields)).toBe(true);
          written.push(method);
        } catch (error) {
          expect(error).toBeInstanceOf(SSEError);
          expect(writer.desiredSize).toBe(before); // nothing queued
        }
      }
      writer.close();
      const text = await response.text();
      // Each accepted write is whole: the text ends a message, nothing else is open.
      expect(text.endsWith('\n\n')).toBe(true);
    }),
    { numRuns: RUNS },
  );
});

// Any value for every option: accepted, or refused with SSEOptionError.
// Mostly plausible values, so that about half the runs are accepted whole.
const option = (...valid: fc.Arbitrary<unknown>[]) =>
  fc.oneof(
    { weight: 30, arbitrary: fc.oneof(...valid, fc.constant(undefined)) },
    fc.anything(),
    hostile,
    fc.double(),
  );
const init = fc.record(
  {
    status: option(fc.integer({ min: 199, max: 600 })),
    heartbeat: option(fc.integer({ min: -1, max: 2 ** 31 }), fc.constant(false)),
    retry: option(fc.integer({ min: -5, max: 2 ** 53 })),
    maxQueuedBytes: option(fc.integer({ min: -5, max: 2 ** 30 })),
    overflow: option(fc.constantFrom('disconnect', 'drop-oldest', 'drop-newest')),
    headers: option(
      fc.dictionary(fc.constantFrom('x-a', 'connection', 'cache-control'), fc.string(), {
        maxKeys: 2,
      }),
      fc.dictionary(hostile, hostile, { maxKeys: 2 }),
    ),
    lastEventIdParam: option(fc.constant('lastEventId')),
    serialize: option(fc.constant(JSON.stringify)),
    onClose: option(fc.constant(() => {})),
  },
  { requiredKeys: [] },
);

test(`options of sseResponse, createEventStream, createHub and createMemoryLog (${RUNS} runs)`, async () => {
  const refused = { response: 0, hub: 0 };
  await fc.assert(
    fc.asyncProperty(
      init,
      fc.anything(),
      fc.anything(),
      async (options, hubOptions, logOptions) => {
        try {
          const response = sseResponse(['hello'], options as never);
          expect(await response.text()).toContain('data: hello\n\n');
          createEventStream(options as never).writer.close();
        } catch (error) {
          expect(error).toBeInstanceOf(SSEOptionError);
          refused.response++;
        }
        for (const make of [
          () => createHub(hubOptions as never),
          () => createHub({ log: createMemoryLog(logOptions as never) }),
        ]) {
          try {
            await make().close({ grace: 0 });
          } catch (error) {
            expect(error).toBeInstanceOf(SSEOptionError);
            refused.hub++;
          }
        }
      },
    ),
    { numRuns: RUNS },
  );
  record('hostile input: options', { runs: RUNS, ...refused, otherErrors: 0 });
});
