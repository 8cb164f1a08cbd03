import { describe, expect, test } from 'vitest';
import { SSEOptionError, sseResponse } from '../../src/index.ts';
import {
  type Compressor,
  compose,
  compress,
  etag,
  webCompressor,
} from '../../src/middleware/index.ts';
import { gatedSource, readUntil, within } from './middleware-helpers.ts';

const text = new TextEncoder();
const json = (size: number) =>
  Response.json({ items: Array.from({ length: size }, (_, n) => ({ n, name: 'item' })) });

/** Marks every chunk it compresses, and remembers whether it was asked to flush. */
function markingCompressor(flushes = true) {
  const calls: { encoding: string; flush: boolean; reset?: boolean }[] = [];
  const compressor: Compressor = {
    encodings: ['br', 'gzip'],
    flushes,
    stream(encoding, { flush, reset }) {
      calls.push({ encoding, flush, ...(reset && { reset }) });
      return new TransformStream({
        transform(chunk, controller) {
          controller.enqueue(text.encode(`<${new TextDecoder().decode(chunk)}>`));
        },
      });
    },
  };
  return { compressor, calls };
}

const get = (headers: HeadersInit = {}, method = 'GET') =>
  new Request('http://x/', { method, headers });

describe('compress', () => {
  test('compresses a complete body with the best accepted encoding', async () => {
    const { compressor, calls } = markingCompressor();
    const app = compose(compress({ compressor }))(() => json(100));
    const response = await app(get({ 'accept-encoding': 'gzip, br;q=0.5' }));
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('vary')).toBe('accept-encoding');
    expect(response.headers.has('content-length')).toBe(false);
    expect(calls).toEqual([{ encoding: 'gzip', flush: false }]);
    expect(await response.text()).toMatch(/^<\{"items"/);
  });

  test.each([
    ['br, gzip', 'br'],
    ['gzip;q=0.9, br;q=0.8', 'gzip'],
    ['*', 'br'],
    ['deflate', null],
    ['br;q=0, gzip;q=0', null],
    [null, null],
  ])('accept-encoding %s → %s', async (accept, expected) => {
    const { compressor } = markingCompressor();
    const app = compose(compress({ compressor }))(() => json(100));
    const response = await app(get(accept === null ? {} : { 'accept-encoding': accept }));
    expect(response.headers.get('content-encoding')).toBe(expected);
    expect(response.headers.get('vary')).toBe('accept-encoding');
  });

  test('leaves alone HEAD, 204, encoded, no-transform, small and binary responses', async () => {
    const { compressor, calls } = markingCompressor();
    const cases: [Request, () => Response][] = [
      [get({}, 'HEAD'), () => json(100)],
      [get(), () => new Response(null, { status: 204 })],
      [get(), () => new Response('x'.repeat(2000), { headers: { 'content-encoding': 'br' } })],
      [
        get(),
        () => new Response('x'.repeat(2000), { headers: { 'cache-control': 'no-transform' } }),
      ],
      [get(), () => new Response('small', { headers: { 'content-length': '5' } })],
      [get(), () => new Response('x', { headers: { 'content-type': 'image/png' } })],
    ];
    for (const [request, handler] of cases) {
      request.headers.set('accept-encoding', 'gzip');
      const original = handler();
      const response = await compose(compress({ compressor }))(() => original)(request);
      expect(response).toBe(original);
    }
    expect(calls).toEqual([]);
  });

  test('event streams pass through untouched by default', async () => {
    const { compressor, calls } = markingCompressor();
    const original = sseResponse(['a'], { heartbeat: false });
    const response = await compose(compress({ compressor }))(() => original)(
      get({ 'accept-encoding': 'gzip' }),
    );
    expect(response).toBe(original);
    expect(calls).toEqual([]);
  });

  test('eventStreams: true compresses each event with a flush, despite no-transform', async () => {
    const { compressor, calls } = markingCompressor();
    const app = compose(compress({ compressor, eventStreams: true }))(() =>
      sseResponse(['a', 'b'], { heartbeat: false }),
    );
    const response = await app(get({ 'accept-encoding': 'gzip' }));
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(calls).toEqual([{ encoding: 'gzip', flush: true }]);
    expect(await response.text()).toMatch(/^<:\n\n><data: a\n\n(data: b\n\n)?>/);
  });

  test("eventStreams: 'reset' writes each event on its own, even when the server batches them", async () => {
    const { compressor, calls } = markingCompressor();
    const resetting = { ...compressor, resets: ['gzip'] as const };
    const app = compose(compress({ compressor: resetting, eventStreams: 'reset' }))(() =>
      sseResponse(['a', 'b\nc', 'd'], { heartbeat: false }),
    );
    const response = await app(get({ 'accept-encoding': 'br, gzip;q=0.5' }));
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(calls).toEqual([{ encoding: 'gzip', flush: true, reset: true }]);
    expect(await response.text()).toBe('<:\n\n><data: a\n\n><data: b\ndata: c\n\n><data: d\n\n>');
  });

  test('eventStreams: true needs a compressor that flushes', () => {
    expect(() => compress({ eventStreams: true })).toThrow(SSEOptionError);
    const { compressor } = markingCompressor(false);
    expect(() => compress({ compressor, eventStreams: true })).toThrow(/nodeCompressor/);
    expect(() =>
      compress({ compressor: markingCompressor().compressor, eventStreams: 'reset' }),
    ).toThrow(/'reset': expected an encoding/);
    expect(() => compress({ threshold: -1 })).toThrow(/threshold/);
    expect(() => compress({ compressible: /json/ as any })).toThrow(
      /compressible: expected a function/,
    );
    expect(() => compress({ compressor: {} as any })).toThrow(SSEOptionError);
  });

  test('a strong etag becomes weak when the body is compressed', async () => {
    const { compressor } = markingCompressor();
    const app = compose(compress({ compressor }), etag())(() => json(100));
    const response = await app(get({ 'accept-encoding': 'br' }));
    expect(response.headers.get('etag')).toMatch(/^W\/"/);
  });

  test('the web compressor: CompressionStream where the runtime has it', async () => {
    const web = webCompressor();
    const app = compose(compress())(() => json(200));
    const response = await app(get({ 'accept-encoding': 'gzip, deflate' }));
    if (typeof CompressionStream === 'function') {
      expect(web.encodings).toEqual(expect.arrayContaining(['gzip', 'deflate']));
      expect(web.flushes).toBe(false);
      expect(response.headers.get('content-encoding')).toBe('gzip');
      const plain = response.body!.pipeThrough(new DecompressionStream('gzip'));
      expect(JSON.parse(await new Response(plain).text()).items).toHaveLength(200);
    } else {
      // The edge-runtime VM has no CompressionStream: nothing to compress with.
      expect(web.encodings).toEqual([]);
      expect(response.headers.has('content-encoding')).toBe(false);
      expect((await response.json()).items).toHaveLength(200);
    }
  });
});

describe('an event stream through compose(compress(), etag(), ...)', () => {
  const logging = (log: string[]) => async (request: Request, next: () => Promise<Response>) => {
    log.push(new URL(request.url).pathname);
    return next();
  };

  test.each([
    ['passed through', {}],
    ['compressed per event', { eventStreams: true }],
  ])('%s: event 1 arrives before event 2 exists; cancel reaches the source', async (_, extra) => {
    const gate = gatedSource();
    const log: string[] = [];
    const { compressor } = markingCompressor();
    const app = compose(
      compress({ compressor, ...extra }),
      etag(),
      logging(log),
    )((request) => sseResponse(gate.source, { request, heartbeat: false }));
    const response = await within(app(get({ 'accept-encoding': 'gzip' })), 1000);
    if (response === 'timeout') throw new Error('headers never came: something buffered');
    expect(log).toEqual(['/']);
    const reader = response.body!.getReader();
    gate.release();
    expect(await readUntil(reader, 'data: {"n":1}')).toContain('event: odd\nid: 1');
    expect(gate.produced).toBe(1);
    gate.release();
    expect(await readUntil(reader, 'data: {"n":2}')).toContain('event: even\nid: 2');
    await reader.cancel();
    expect(await within(gate.finished, 1000)).not.toBe('timeout');
    expect(gate.finallyRan).toBe(true);
  });
});
