import { afterEach, describe, expect, test, vi } from 'vitest';
import { SSEEncoderStream, type SSEItem, SSEOptionError } from '../../src/index.ts';
import {
  compose,
  filterEvents,
  injectHeartbeat,
  isEventStream,
  type Middleware,
  mapEvents,
} from '../../src/middleware/index.ts';
import { collect, streamOf } from './middleware-helpers.ts';

afterEach(() => vi.useRealTimers());

describe('filterEvents and mapEvents', () => {
  test('filter keeps what the predicate accepts, in order, sync or async', async () => {
    const items = [1, 2, 3, 4, 5, 6];
    expect(await collect(streamOf(items).pipeThrough(filterEvents((n) => n % 2 === 0)))).toEqual([
      2, 4, 6,
    ]);
    const slowFirst = filterEvents(async (n: number) => {
      await new Promise((r) => setTimeout(r, n === 1 ? 10 : 0));
      return n !== 3;
    });
    expect(await collect(streamOf(items).pipeThrough(slowFirst))).toEqual([1, 2, 4, 5, 6]);
  });

  test('map rewrites, awaits promises, and drops undefined', async () => {
    const map = mapEvents(async (n: number) => (n === 2 ? undefined : { data: n * 10 }));
    expect(await collect(streamOf([1, 2, 3]).pipeThrough(map))).toEqual([
      { data: 10 },
      { data: 30 },
    ]);
  });

  test('they sit before the encoder: whole messages in, wire text out', async () => {
    const body = streamOf<SSEItem>([
      { event: 'debug', data: 'x' },
      { event: 'tick', data: 'a\nb' },
    ])
      .pipeThrough(filterEvents((m: any) => m.event !== 'debug'))
      .pipeThrough(mapEvents((m: any) => ({ ...m, id: 7 })))
      .pipeThrough(new SSEEncoderStream());
    const text = new TextDecoder().decode(
      new Uint8Array((await collect(body)).flatMap((chunk) => [...chunk])),
    );
    expect(text).toBe('event: tick\nid: 7\ndata: a\ndata: b\n\n');
  });

  test('map carries an id to a message that sets none, sync or async, and keeps one it sets', async () => {
    const items = [
      { event: 'a', data: '1', id: 'x' },
      { event: 'a', data: '2', id: 'y' },
      { event: 'a', data: '3' },
    ];
    const rename = (m: { data: string }) =>
      m.data === '2' ? { event: 'b', data: m.data, id: undefined } : { event: 'b', data: m.data };
    const expected = [
      { event: 'b', data: '1', id: 'x' },
      { event: 'b', data: '2', id: undefined },
      { event: 'b', data: '3' },
    ];
    expect(await collect(streamOf(items).pipeThrough(mapEvents(rename)))).toEqual(expected);
    const later = mapEvents(async (m: { data: string }) => rename(m));
    expect(await collect(streamOf(items).pipeThrough(later))).toEqual(expected);
    // Text is data alone: nothing to carry an id on.
    expect(await collect(streamOf(items).pipeThrough(mapEvents((m) => m.data)))).toEqual([
      '1',
      '2',
      '3',
    ]);
  });

  test('a throwing predicate errors the stream', async () => {
    const failing = filterEvents(() => {
      throw new Error('boom');
    });
    await expect(collect(streamOf([1]).pipeThrough(failing))).rejects.toThrow('boom');
  });

  test('non-functions are refused with a typed error', () => {
    expect(() => filterEvents(1 as any)).toThrow(SSEOptionError);
    expect(() => mapEvents('x' as any)).toThrow(/expected a function/);
  });
});

describe('injectHeartbeat', () => {
  test('a comment after each idle interval, none while messages flow', async () => {
    vi.useFakeTimers();
    const source = new TransformStream<SSEItem, SSEItem>();
    const writer = source.writable.getWriter();
    const reader = source.readable
      .pipeThrough(injectHeartbeat({ interval: 100, comment: 'ping' }))
      .getReader();
    const seen: unknown[] = [];
    const pump = (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) seen.push(r.value);
    })();
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(60);
      await writer.write({ data: i });
    }
    expect(seen).toEqual([{ data: 0 }, { data: 1 }, { data: 2 }, { data: 3 }]);
    await vi.advanceTimersByTimeAsync(100);
    expect(seen.at(-1)).toEqual({ comment: 'ping' });
    await vi.advanceTimersByTimeAsync(100);
    expect(seen.filter((item: any) => item.comment === 'ping')).toHaveLength(2);
    await writer.close();
    await pump;
    expect(vi.getTimerCount()).toBe(0);
  });

  test('a reader that is behind gets at most one queued heartbeat', async () => {
    vi.useFakeTimers();
    const beats = new ReadableStream<SSEItem>().pipeThrough(injectHeartbeat({ interval: 10 }));
    await vi.advanceTimersByTimeAsync(1000);
    const reader = beats.getReader();
    expect(await reader.read()).toEqual({ done: false, value: { comment: '' } });
    let more = false;
    reader.read().then(() => (more = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(more).toBe(false);
    await reader.cancel();
    await vi.advanceTimersByTimeAsync(50);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('heartbeats never split a message on the wire', async () => {
    const body = streamOf<SSEItem>([{ data: 'one\ntwo' }])
      .pipeThrough(injectHeartbeat({ interval: 1 }))
      .pipeThrough(new SSEEncoderStream());
    const chunks = (await collect(body)).map((c) => new TextDecoder().decode(c));
    expect(chunks).toContain('data: one\ndata: two\n\n');
  });

  test('bad options are refused', () => {
    expect(() => injectHeartbeat({ interval: 0 })).toThrow(SSEOptionError);
    expect(() => injectHeartbeat({ comment: 1 as any })).toThrow(/comment: expected a string/);
  });
});

describe('compose', () => {
  const tag =
    (name: string, log: string[]): Middleware =>
    async (_request, next) => {
      log.push(`> ${name}`);
      const response = await next();
      log.push(`< ${name}`);
      const headers = new Headers(response.headers);
      headers.append('x-chain', name);
      return new Response(response.body, { status: response.status, headers });
    };

  test('the first middleware is outermost; the handler runs in the middle', async () => {
    const log: string[] = [];
    const app = compose(
      tag('a', log),
      tag('b', log),
    )(() => {
      log.push('handler');
      return new Response('ok');
    });
    const response = await app(new Request('http://x/'));
    expect(log).toEqual(['> a', '> b', 'handler', '< b', '< a']);
    expect(response.headers.get('x-chain')).toBe('b, a');
    expect(await response.text()).toBe('ok');
  });

  test('next(request) replaces the request for the rest of the chain', async () => {
    const rewrite: Middleware = (request, next) =>
      next(new Request(new URL('/v2', request.url), request));
    const app = compose(rewrite)((request) => new Response(new URL(request.url).pathname));
    expect(await (await app(new Request('http://x/v1'))).text()).toBe('/v2');
  });

  test('errors reject the returned promise; a middleware may answer alone', async () => {
    const fail = compose()(() => {
      throw new Error('handler failed');
    });
    await expect(fail(new Request('http://x/'))).rejects.toThrow('handler failed');
    const deny = compose(() => new Response('no', { status: 403 }))(() => {
      throw new Error('never called');
    });
    expect((await deny(new Request('http://x/'))).status).toBe(403);
  });

  test('non-functions are refused with a typed error', () => {
    expect(() => compose({} as any)).toThrow(/middleware 0: expected a function/);
    expect(() => compose()('x' as any)).toThrow(SSEOptionError);
  });
});

describe('isEventStream', () => {
  test.each([
    ['text/event-stream', true],
    ['text/event-stream; charset=utf-8', true],
    ['Text/Event-Stream;charset=UTF-8', true],
    ['text/event-streams', false],
    ['text/plain', false],
    ['application/json', false],
  ])('%s → %s', (type, expected) => {
    expect(isEventStream(new Response('', { headers: { 'content-type': type } }))).toBe(expected);
    expect(isEventStream(new Headers({ 'content-type': type }))).toBe(expected);
  });

  test('no content-type is not an event stream', () => {
    expect(isEventStream(new Response(null))).toBe(false);
  });
});
