import { describe, expect, test } from 'vitest';
import { EventReader } from '../../src/client/event-reader.ts';
import type { SSEEvent } from '../../src/client/index.ts';
import { SSEOptionError, sseResponse } from '../../src/index.ts';
import {
  filterEvents,
  mapEvents,
  type TransformEventsInit,
  transformEvents,
} from '../../src/middleware/index.ts';
import { RelaySource } from '../../src/middleware/relay-source.ts';
import { OUTLET, RESUME } from '../../src/wire/outlet.ts';
import { gatedSource, readUntil, within } from './middleware-helpers.ts';
import { chunkReader, PATHS, settle, textOf } from './response-helpers.ts';

const upstreamBytes = (text: string, headers: HeadersInit = {}) =>
  new Response(text, { headers: { 'content-type': 'text/event-stream', ...headers } });

describe('transformEvents', () => {
  test('parses, transforms and re-encodes; ids and data survive, comments and retry do not', async () => {
    const upstream = upstreamBytes(
      ': hi\nretry: 5000\n\nid: 1\ndata: a\ndata: b\n\nevent: debug\ndata: x\n\n' +
        'event: tick\nid: 2\ndata: {"n":2}\n\nevent: tick\ndata: {"n":3}\n\n',
    );
    const relayed = transformEvents(
      upstream,
      { heartbeat: false },
      filterEvents((event: SSEEvent) => event.event !== 'debug'),
      mapEvents((event: SSEEvent) =>
        event.event === 'tick' ? { ...event, data: JSON.parse(event.data) } : event,
      ),
    );
    expect(relayed.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const text = (await chunkReader(relayed).rest()).join('');
    expect(text).toBe(
      ':\n\nid: 1\ndata: a\ndata: b\n\nevent: tick\nid: 2\ndata: {"n":2}\n\nevent: tick\ndata: {"n":3}\n\n',
    );
  });

  test('with no transform it relays an ssekit stream unchanged, event by event', async () => {
    const original = sseResponse(
      [{ event: 'a', id: 'x', data: 'one' }, 'two', { data: { three: 3 } }],
      { heartbeat: false },
    );
    const text = (await chunkReader(transformEvents(original, { heartbeat: false })).rest()).join(
      '',
    );
    expect(text).toBe(':\n\nevent: a\nid: x\ndata: one\n\ndata: two\n\ndata: {"three":3}\n\n');
  });

  test('status and headers are kept, less those of the upstream bytes', () => {
    const upstream = upstreamBytes('', {
      'access-control-allow-origin': '*',
      'content-encoding': 'gzip',
      'content-length': '10',
      etag: '"x"',
    });
    const relayed = transformEvents(upstream, { headers: { 'x-relay': '1' } });
    expect(relayed.headers.get('access-control-allow-origin')).toBe('*');
    expect(relayed.headers.get('x-relay')).toBe('1');
    for (const name of ['content-encoding', 'content-length', 'etag']) {
      expect(relayed.headers.has(name)).toBe(false);
    }
    relayed.body!.cancel();
  });

  test('backpressure: an endless fast upstream is read only as the client reads', async () => {
    let produced = 0;
    const kilobyte = 'x'.repeat(1024);
    const upstream = sseResponse(
      function* () {
        for (;;) yield { id: ++produced, data: kilobyte };
      },
      { heartbeat: false },
    );
    const reader = transformEvents(upstream, { heartbeat: false }).body!.getReader();
    await reader.read();
    // Let the pipes fill until the generator stops being pulled.
    let stalled = -1;
    for (let round = 0; round < 100 && produced !== stalled; round++) {
      stalled = produced;
      await settle();
    }
    // What the pipes between the two streams hold, a few 16 KiB batches:
    // bounded, while an unbounded relay would run away with the generator.
    expect(stalled).toBeLessThan(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(produced).toBe(stalled);
    for (let i = 0; i < 20; i++) await reader.read();
    expect(produced).toBeGreaterThan(stalled);
    await reader.cancel();
  });

  test('cancelling the result cancels the upstream body: the source finally runs', async () => {
    const gate = gatedSource();
    const relayed = transformEvents(sseResponse(gate.source, { heartbeat: false }), {
      heartbeat: false,
    });
    const reader = relayed.body!.getReader();
    gate.release();
    expect(await readUntil(reader, 'data: {"n":1}')).toContain('event: odd\nid: 1');
    await reader.cancel();
    expect(await within(gate.finished, 1000)).not.toBe('timeout');
    expect(gate.finallyRan).toBe(true);
  });

  test.each(PATHS)(
    'an upstream failure ends the relay broken, after the events before, and reaches onError (%s)',
    async (path) => {
      const errors: unknown[] = [];
      let pulls = 0;
      const broken = new ReadableStream({
        pull(controller) {
          if (pulls++ === 0) controller.enqueue(new TextEncoder().encode('data: 1\n\n'));
          else controller.error(new Error('upstream reset'));
        },
      });
      const relayed = transformEvents(
        new Response(broken, { headers: { 'content-type': 'text/event-stream' } }),
        { heartbeat: false, onError: (error) => void errors.push(error) },
      );
      const { text, error } = await chunkReader(relayed, path).settled();
      expect(text).toBe(':\n\ndata: 1\n\n');
      expect(error).toBeDefined();
      expect(String(errors[0])).toContain('upstream reset');
    },
  );

  test.each(PATHS)(
    'the parser limits reach the upstream: past them the relay ends broken, after the events before (%s)',
    async (path) => {
      const errors: unknown[] = [];
      const relayed = transformEvents(
        upstreamBytes(`data: 1\n\ndata: 2\n\ndata: ${'x'.repeat(100)}\n\n`),
        { heartbeat: false, maxEventLength: 50, onError: (error) => void errors.push(error) },
      );
      const { text, error } = await chunkReader(relayed, path).settled();
      expect(text).toBe(':\n\ndata: 1\n\ndata: 2\n\n');
      expect(error).toBeDefined();
      expect(errors).toEqual([expect.objectContaining({ reason: 'event-too-long' })]);
      expect(() => transformEvents(upstreamBytes(''), { maxEventLength: -1 })).toThrow(
        /maxEventLength: expected a whole number/,
      );
    },
  );

  // A map that throws, a map whose promise rejects, and a stream of the
  // caller's own that errors: each ends the relay broken, never as a finished
  // stream, after every event before it; onError hears why, and what it
  // returns is the last event.
  const failing = {
    'a sync map': () =>
      mapEvents((event: SSEEvent) => {
        if (event.data === '3') throw new Error('bad event');
        return event;
      }),
    'an async map': () =>
      mapEvents(async (event: SSEEvent) => {
        if (event.data === '3') throw new Error('bad event');
        return event;
      }),
    'a stream of its own': () =>
      new TransformStream<SSEEvent, SSEEvent>({
        transform(event, controller) {
          if (event.data === '3') throw new Error('bad event');
          controller.enqueue(event);
        },
      }),
  };
  for (const [name, stage] of Object.entries(failing)) {
    test.each(PATHS)(
      `${name} that throws ends the relay broken and tells onError (%s)`,
      async (path) => {
        const errors: unknown[] = [];
        const relayed = transformEvents(
          upstreamBytes('id: 1\ndata: 1\n\nid: 2\ndata: 2\n\nid: 3\ndata: 3\n\nid: 4\ndata: 4\n\n'),
          {
            heartbeat: false,
            onError: (error) => {
              errors.push(error);
              return { event: 'relay-error', data: 'upstream event 3 failed' };
            },
          },
          stage(),
        );
        const { text, error } = await chunkReader(relayed, path).settled();
        expect(text).toBe(
          ':\n\nid: 1\ndata: 1\n\nid: 2\ndata: 2\n\nevent: relay-error\ndata: upstream event 3 failed\n\n',
        );
        expect(error).toBeDefined();
        expect(errors).toEqual([expect.objectContaining({ message: 'bad event' })]);
      },
    );
  }

  test('an upstream that ends ends the relay cleanly', async () => {
    const relayed = transformEvents(upstreamBytes('data: 1\n\n'), { heartbeat: false });
    for (const path of PATHS) {
      const { text, error } = await chunkReader(
        transformEvents(
          upstreamBytes('data: 1\n\n'),
          { heartbeat: false },
          mapEvents((e) => e),
        ),
        path,
      ).settled();
      expect([text, error]).toEqual([':\n\ndata: 1\n\n', undefined]);
    }
    expect(await relayed.text()).toBe(':\n\ndata: 1\n\n');
  });

  test('ids are carried through a map that renames an event, unless it sets one', async () => {
    const relayed = transformEvents(
      upstreamBytes(
        'id: 7\ndata: a\n\nid: 8\ndata: b\n\ndata: c\n\nid: 9\ndata: d\n\nid: 10\ndata: e\n\n',
      ),
      { heartbeat: false },
      mapEvents((event: SSEEvent) => {
        if (event.data === 'b') return { event: 'renamed', data: 'B', id: 'new' };
        if (event.data === 'd') return { event: 'renamed', data: 'D', id: undefined };
        if (event.data === 'e') return 'E';
        return { event: 'renamed', data: event.data.toUpperCase() };
      }),
    );
    expect(await relayed.text()).toBe(
      ':\n\nevent: renamed\nid: 7\ndata: A\n\nevent: renamed\nid: new\ndata: B\n\n' +
        'event: renamed\ndata: C\n\nevent: renamed\ndata: D\n\nid: 10\ndata: E\n\n',
    );
  });

  test('through several maps the id carried is the last one set', async () => {
    const relayed = transformEvents(
      upstreamBytes('id: 1\ndata: a\n\nid: 2\ndata: b\n\n'),
      { heartbeat: false },
      mapEvents((event: SSEEvent) =>
        event.data === 'a' ? { data: 'A', id: 'one' } : { data: 'B' },
      ),
      mapEvents((message: { data: string }) => ({ event: 'x', data: message.data })),
      mapEvents(async (message: { event: string; data: string }) => ({ ...message, retry: 5 })),
    );
    expect(await relayed.text()).toBe(
      ':\n\nevent: x\nid: one\nretry: 5\ndata: A\n\nevent: x\nid: 2\nretry: 5\ndata: B\n\n',
    );
  });

  test('a row of filterEvents and mapEvents is one pass: a chunk of events costs no task between them', async () => {
    // Counts the synchronous runs the map is called in: a microtask marks
    // the end of each. A promise per event would make one run per event (25).
    let runs = 0;
    let running = false;
    const events = Array.from({ length: 50 }, (_, i) => `id: ${i}\ndata: ${i}\n\n`).join('');
    const relayed = transformEvents(
      upstreamBytes(events),
      { heartbeat: false },
      filterEvents((event: SSEEvent) => Number(event.data) % 2 === 0),
      mapEvents((event: SSEEvent) => {
        if (!running) {
          running = true;
          runs++;
          queueMicrotask(() => (running = false));
        }
        return { data: event.data };
      }),
      mapEvents((message: { data: string }) => ({ ...message, event: 'even' })),
    );
    const text = await relayed.text();
    expect(text.match(/event: even/g)).toHaveLength(25);
    expect(text).toContain('event: even\nid: 48\ndata: 48\n\n');
    // The first event is mapped as the chunk's read settles, the rest in one run after it.
    expect(runs).toBeLessThanOrEqual(2);
  });

  // An upstream whose body arrives in the chunks given, one a read, and
  // says how many reads it served.
  const chunkedUpstream = (chunks: string[]) => {
    const served = { reads: 0 };
    let next = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        served.reads++;
        if (next < chunks.length) controller.enqueue(new TextEncoder().encode(chunks[next++]));
        else controller.close();
      },
    });
    const response = new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    return { response, served };
  };
  const eventsText = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => `id: ${from + i}\ndata: ${from + i}\n\n`).join('');

  test.each(PATHS)(
    'the events of one upstream chunk leave as one write, a sync map or an async one (%s)',
    async (path) => {
      for (const map of [
        (event: SSEEvent) => ({ event: 'n', data: event.data }),
        async (event: SSEEvent) => ({ event: 'n', data: event.data }),
      ]) {
        const { response } = chunkedUpstream([eventsText(0, 10), eventsText(10, 10)]);
        const chunks = await chunkReader(
          transformEvents(response, { heartbeat: false }, mapEvents(map)),
          path,
        ).rest();
        // The first byte, then a write for each upstream chunk: not one per event.
        expect(chunks.map((chunk) => chunk.match(/event: n/g)?.length ?? 0)).toEqual([0, 10, 10]);
        expect(chunks[2]).toContain('event: n\nid: 19\ndata: 19\n\n');
      }
    },
  );

  test.each(PATHS)(
    'a client that reads nothing holds the relay at one upstream chunk in hand (%s)',
    async (path) => {
      const { response, served } = chunkedUpstream(
        Array.from({ length: 50 }, (_, i) => eventsText(i * 10, 10)),
      );
      const reader = chunkReader(transformEvents(response, { heartbeat: false }), path);
      expect(await reader.next()).toBe(':\n\n');
      await settle();
      // The chunk the client was offered, and one read meanwhile, in hand:
      // the upstream waits for the client.
      const before = served.reads;
      expect(before).toBeLessThanOrEqual(4);
      await settle();
      expect(served.reads).toBe(before);
      // Each chunk the client takes lets one more upstream chunk in.
      const text = (await reader.rest()).join('');
      expect(text.match(/data: /g)).toHaveLength(500);
      expect(served.reads).toBe(51);
    },
  );

  test.each(PATHS)(
    'a client that reads nothing holds a relay whose async map inflates events at the bound too (%s)',
    async (path) => {
      // 300 events in one upstream chunk, each made 10 KiB larger: the
      // relay stops at about 64 Ki characters, whether the map answers at
      // once or with a promise.
      const big = 'x'.repeat(10 * 1024);
      for (const kind of ['sync', 'async']) {
        let calls = 0;
        const map = (event: SSEEvent) => {
          calls++;
          const message = { data: big + event.data };
          return kind === 'sync' ? message : Promise.resolve(message);
        };
        const reader = chunkReader(
          transformEvents(upstreamBytes(eventsText(0, 300)), { heartbeat: false }, mapEvents(map)),
          path,
        );
        expect(await reader.next()).toBe(':\n\n');
        await settle();
        await settle();
        expect(calls).toBeLessThan(20);
        expect((await reader.next())!.length).toBeLessThan(100 * 1024);
        await reader.cancel();
      }
    },
  );

  test('a relay that fails while a demand comes from inside its own write ends once', async () => {
    // A body with two reads pending asks for more from inside `enqueue`:
    // the relay must tell the stream of its end once, not again from there.
    const source = new RelaySource(
      new EventReader(new Response('data: a\n\ndata: b\n\n').body!, {}),
      [
        (event: SSEEvent) => {
          if (event.data === 'b') throw new Error('bad event');
          return event;
        },
      ],
    );
    const calls: string[] = [];
    source[OUTLET]({
      writable: () => true,
      emit: () => {
        calls.push('emit');
        source[RESUME]();
      },
      ended: () => calls.push('ended'),
      fail: () => calls.push('fail'),
    });
    await settle();
    expect(calls).toEqual(['emit', 'fail']);
  });

  test.each(PATHS)(
    'a serialize passed to a relay (untyped: its data is text) serves a row of maps as it serves piped stages (%s)',
    async (path) => {
      const init = { heartbeat: false, serialize: () => 'as serialized' } as TransformEventsInit;
      const fused = transformEvents(
        upstreamBytes('data: a\n\n'),
        init,
        mapEvents(() => ({ data: { x: 1 } })),
      );
      const piped = transformEvents(
        upstreamBytes('data: a\n\n'),
        init,
        mapEvents(() => ({ data: { x: 1 } })),
        new TransformStream(),
      );
      expect(await textOf(fused, path)).toBe(':\n\ndata: as serialized\n\n');
      expect(await textOf(piped, path)).toBe(':\n\ndata: as serialized\n\n');
    },
  );

  test('a response that is not an event stream is returned as it is', () => {
    const page = new Response('<h1>502</h1>', {
      status: 502,
      headers: { 'content-type': 'text/html' },
    });
    expect(
      transformEvents(
        page,
        filterEvents(() => false),
      ),
    ).toBe(page);
  });

  test('wrong arguments are refused with a typed error', () => {
    expect(() => transformEvents('x' as any)).toThrow(SSEOptionError);
    expect(() => transformEvents(upstreamBytes(''), {}, (() => {}) as any)).toThrow(
      /transform 0: expected a TransformStream/,
    );
  });
});
