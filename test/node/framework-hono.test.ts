// ssekit inside Hono on Node (@hono/node-server), with Hono's own
// compression middleware installed. Hono's compress() leaves event streams
// alone (its type filter excludes text/event-stream, and it honours
// no-transform); Hono's etag() does not: it hashes a clone of every body
// before answering, so an endless event stream never sends its headers.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { etag as honoEtag } from 'hono/etag';
import { afterEach, describe, expect, test } from 'vitest';
import { sseResponse } from '../../src/index.ts';
import { etag } from '../../src/middleware/index.ts';
import { gatedSource, readUntil, within } from '../core/middleware-helpers.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function listen(app: Hono): Promise<string> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(started),
    );
  });
  closers.push(() => {
    (server as import('node:http').Server).closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const config = { items: Array.from({ length: 200 }, (_, n) => ({ n, name: 'item' })) };

describe('Hono', () => {
  test("sseResponse from a route streams live through Hono's compress()", async () => {
    const gate = gatedSource();
    const app = new Hono();
    app.use(compress());
    app.get('/events', (c) => sseResponse(gate.source, { request: c.req.raw, heartbeat: false }));
    app.get('/config', (c) => c.json(config));
    const url = await listen(app);

    // compress() is really on: JSON is compressed...
    const json = await fetch(`${url}/config`, { headers: { 'accept-encoding': 'gzip' } });
    expect(json.headers.get('content-encoding')).toBe('gzip');
    expect((await json.json()).items).toHaveLength(200);

    // ...and the event stream passes it untouched, event by event.
    const client = new AbortController();
    const response = await fetch(`${url}/events`, {
      headers: { 'accept-encoding': 'gzip' },
      signal: client.signal,
    });
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = response.body!.getReader();
    gate.release();
    expect(await readUntil(reader, 'data: {"n":1}')).toContain('event: odd\nid: 1');
    expect(gate.produced).toBe(1);
    gate.release();
    await readUntil(reader, 'data: {"n":2}');
    client.abort();
    expect(await within(gate.finished, 2000)).not.toBe('timeout');
  });

  test("Hono's etag() holds an event stream's headers forever (documented breakage)", async () => {
    const gate = gatedSource();
    const app = new Hono();
    app.use(honoEtag());
    app.get('/events', (c) => sseResponse(gate.source, { request: c.req.raw, heartbeat: false }));
    const url = await listen(app);
    const client = new AbortController();
    const pending = fetch(`${url}/events`, { signal: client.signal });
    pending.catch(() => {});
    for (let i = 0; i < 3; i++) gate.release();
    // Events are produced (and buffered by etag's clone), none is sent: not
    // even the headers, because etag() waits for the body to end.
    expect(await within(pending, 400)).toBe('timeout');
    expect(gate.produced).toBe(3);
    client.abort();
  });

  test("the workaround: ssekit's etag() as Hono middleware passes streams, tags JSON", async () => {
    const gate = gatedSource();
    const app = new Hono();
    const sseAwareEtag = etag();
    app.use(async (c, next) => {
      const response = await sseAwareEtag(c.req.raw, async () => {
        await next();
        return c.res;
      });
      c.res = undefined; // replace the response instead of merging headers into it
      c.res = response;
    });
    app.get('/events', (c) => sseResponse(gate.source, { request: c.req.raw, heartbeat: false }));
    app.get('/config', (c) => c.json(config));
    const url = await listen(app);

    const first = await fetch(`${url}/config`);
    const tag = first.headers.get('etag');
    expect(tag).toMatch(/^"/);
    const again = await fetch(`${url}/config`, { headers: { 'if-none-match': tag! } });
    expect(again.status).toBe(304);

    const client = new AbortController();
    const response = await within(fetch(`${url}/events`, { signal: client.signal }), 1000);
    if (response === 'timeout') throw new Error('headers never came');
    expect(response.headers.has('etag')).toBe(false);
    const reader = response.body!.getReader();
    gate.release();
    await readUntil(reader, 'data: {"n":1}');
    expect(gate.produced).toBe(1);
    client.abort();
    expect(await within(gate.finished, 2000)).not.toBe('timeout');
  });
});
