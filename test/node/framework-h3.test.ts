// ssekit inside h3 v2 on Node (its own `serve`, srvx). h3 has no compression
// middleware of its own, so ssekit's compress() and etag() are installed as
// h3 middleware: h3's `(event, next)` and ssekit's `(request, next)` differ
// only in what they pass, and `toResponse` turns whatever a route returned
// (a Response, JSON, text) into a Response.
import { H3, serve, toResponse } from 'h3';
import { afterEach, describe, expect, test } from 'vitest';
import { nodeCompressor } from '../../adapters/runtimes/node-compress.ts';
import { sseResponse } from '../../src/index.ts';
import { compose, compress, etag } from '../../src/middleware/index.ts';
import { gatedSource, readUntil, within } from '../core/middleware-helpers.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function listen(app: H3): Promise<string> {
  const server = serve(app, { port: 0, hostname: '127.0.0.1', silent: true });
  await server.ready();
  closers.push(() => server.close(true));
  return server.url!.replace(/\/$/, '');
}

const config = { items: Array.from({ length: 200 }, (_, n) => ({ n, name: 'item' })) };

function app(source: ReturnType<typeof gatedSource>['source'], eventStreams: boolean) {
  const h3 = new H3();
  const middleware = compose(
    compress(eventStreams ? { compressor: nodeCompressor(), eventStreams } : {}),
    etag(),
  );
  h3.use((event, next) => middleware(async () => toResponse(await next(), event))(event.req));
  h3.get('/events', (event) => sseResponse(source, { request: event.req, heartbeat: false }));
  h3.get('/config', () => config);
  return h3;
}

describe('h3', () => {
  test.each([
    ['passed through', false, null],
    ['compressed per event', true, 'gzip'],
  ])('sseResponse from an h3 handler streams live: %s', async (_, eventStreams, encoding) => {
    const gate = gatedSource();
    const url = await listen(app(gate.source, eventStreams));

    const json = await fetch(`${url}/config`, { headers: { 'accept-encoding': 'gzip' } });
    expect(json.headers.get('content-encoding')).toBe('gzip');
    expect(json.headers.get('etag')).toMatch(/^W\/"/);
    expect((await json.json()).items).toHaveLength(200);

    const client = new AbortController();
    const response = await within(
      fetch(`${url}/events`, { headers: { 'accept-encoding': 'gzip' }, signal: client.signal }),
      1000,
    );
    if (response === 'timeout') throw new Error('headers never came');
    expect(response.headers.get('content-encoding')).toBe(encoding);
    expect(response.headers.has('etag')).toBe(false);
    const reader = response.body!.getReader();
    gate.release();
    expect(await readUntil(reader, 'data: {"n":1}')).toContain('event: odd\nid: 1');
    expect(gate.produced).toBe(1);
    gate.release();
    await readUntil(reader, 'data: {"n":2}');
    client.abort();
    expect(await within(gate.finished, 2000)).not.toBe('timeout');
  });
});
