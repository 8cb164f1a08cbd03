import { describe, expect, test } from 'vitest';
import type { SSEEvent } from '../../src/client/index.ts';
import { SSEOptionError, sseResponse } from '../../src/index.ts';
import { filterEvents, mapEvents, transformEvents } from '../../src/middleware/index.ts';
import { gatedSource, readUntil, within } from './middleware-helpers.ts';
import { chunkReader, settle } from './response-helpers.ts';

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

  test('an upstream failure closes the relay and reaches onError', async () => {
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
    expect((await chunkReader(relayed).rest()).join('')).toBe(':\n\ndata: 1\n\n');
    expect(String(errors[0])).toContain('upstream reset');
  });

  test('the parser limits reach the upstream: past them the relay ends, after the events before', async () => {
    const errors: unknown[] = [];
    const relayed = transformEvents(
      upstreamBytes(`data: 1\n\ndata: 2\n\ndata: ${'x'.repeat(100)}\n\n`),
      { heartbeat: false, maxEventLength: 50, onError: (error) => void errors.push(error) },
    );
    expect((await chunkReader(relayed).rest()).join('')).toBe(':\n\ndata: 1\n\ndata: 2\n\n');
    expect(errors).toEqual([expect.objectContaining({ reason: 'event-too-long' })]);
    expect(() => transformEvents(upstreamBytes(''), { maxEventLength: -1 })).toThrow(
      /maxEventLength: expected a whole number/,
    );
  });

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
