/**
 * examples/hello, the code the README's quick start quotes, run as written
 * on each runtime: it streams, and a reconnecting client resumes after its
 * Last-Event-ID.
 */
import { readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';
import { describe, expect, test } from 'vitest';
import { bin, bundle, open, root, type Served, type StreamReader, spawnServer } from './harness.ts';

const examples: [name: string, path: string, start: () => Promise<Served>][] = [
  [
    'node:http',
    '/',
    async () => spawnServer(process.execPath, [await bundle('examples/hello/node.ts', 'node')]),
  ],
  [
    'Express',
    '/events',
    async () =>
      spawnServer(process.execPath, [
        await bundle('examples/hello/express.ts', 'node', ['express']),
      ]),
  ],
  [
    'Deno',
    '/',
    async () =>
      spawnServer(bin('deno'), [
        'run',
        '--allow-net',
        '--allow-env=PORT',
        '--no-lock',
        await bundle('examples/hello/deno.ts', 'neutral'),
      ]),
  ],
  [
    'Bun',
    '/',
    async () => spawnServer(bin('bun'), ['run', await bundle('examples/hello/bun.ts', 'neutral')]),
  ],
  [
    'Workers',
    '/',
    async () => {
      const worker = new Miniflare({
        modules: true,
        scriptPath: await bundle('examples/hello/worker.ts', 'neutral'),
        compatibilityDate: '2025-06-01',
        compatibilityFlags: ['enable_request_signal'], // as in examples/hello/wrangler.toml
        host: '127.0.0.1',
        port: 0,
      });
      return { url: (await worker.ready).origin, stop: () => worker.dispose() };
    },
  ],
];

describe.concurrent('examples/hello', () => {
  test.each(examples)(
    '%s: streams, and resumes after Last-Event-ID',
    async (_, path, start) => {
      const served = await start();
      try {
        const fresh = await open(served.url, path);
        await fresh.until((s) => s.events.length >= 2);
        expect(fresh.events[1]).toEqual({ event: 'hello', id: '1', data: 'hello #1' });
        fresh.disconnect();
        const resumed = await open(served.url, path, { 'last-event-id': '41' });
        await resumed.until((s) => s.events.length >= 2);
        expect(resumed.events[1]).toEqual({ event: 'hello', id: '42', data: 'hello #42' });
        resumed.disconnect();
      } finally {
        await served.stop();
      }
    },
    40_000,
  );
});

test('the README quick start quotes examples/hello as it is', () => {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  for (const file of ['hello.ts', 'node.ts', 'express.ts', 'deno.ts', 'bun.ts', 'worker.ts']) {
    const code = readFileSync(`${root}examples/hello/${file}`, 'utf8').trim();
    expect(readme, file).toContain(code);
  }
});

test('examples/workers-notifications (npm run example:workers): state, live, and resume on workerd', async () => {
  // In this process, so that stop() also ends workerd (a killed parent would orphan it).
  const { start } = await import('../../examples/workers-notifications/run.mjs');
  const served = await start({ port: 0, persist: false });
  const send = (text: string) =>
    fetch(`${served.url}/notifications/send`, { method: 'POST', body: text });
  const notifications = (stream: StreamReader) =>
    stream.events
      .filter((event) => event.event === 'notification')
      .map((event) => ({ id: event.id!, text: JSON.parse(event.data!).text as string }));
  // The durable log's ids: `<epoch>-<n>`, one epoch, n one more per message.
  const counter = (id: string) => {
    expect(id).toMatch(/^[0-9a-z]{14}-\d+$/);
    return Number(id.slice(15));
  };
  try {
    const fresh = await open(served.url, '/notifications/events');
    await fresh.until((s) => s.events.some((event) => event.event === 'state'));
    const mark = `first ${Date.now()}`;
    await send(mark);
    await fresh.until((s) => notifications(s).some((n) => n.text === mark));
    const cursor = notifications(fresh).find((n) => n.text === mark)!.id;
    fresh.disconnect();
    await send(`${mark} second`);
    await send(`${mark} third`);
    const back = await open(served.url, '/notifications/events', { 'last-event-id': cursor });
    await back.until((s) => notifications(s).some((n) => n.text === `${mark} third`));
    expect(back.events.some((event) => event.event === 'state')).toBe(false);
    // Everything after the cursor, once, with no gap (the demo's bell may ring in between).
    const got = notifications(back);
    expect(got.map((n) => n.id.slice(0, 14))).toEqual(got.map(() => cursor.slice(0, 14)));
    expect(got.map((n) => counter(n.id))).toEqual(
      got.map((_, index) => counter(cursor) + 1 + index),
    );
    expect(got.filter((n) => n.text.startsWith(mark)).map((n) => n.text)).toEqual([
      `${mark} second`,
      `${mark} third`,
    ]);
    back.disconnect();
  } finally {
    await served.stop();
  }
}, 40_000);
