/**
 * examples/hello, the code docs/serving.md quotes, run as written
 * on each runtime: it streams, and a reconnecting client resumes after its
 * Last-Event-ID.
 */
import { readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';
import { describe, expect, test } from 'vitest';
import { answerTo } from '../../examples/resumable-chat/app.ts';
import { pageProblems, startExample } from '../node/examples-helpers.ts';
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

test('the hello example in docs/serving.md quotes examples/hello as it is', () => {
  const readme = readFileSync(`${root}docs/serving.md`, 'utf8');
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
    // Its page links only what the Worker serves, and declares its icon.
    expect(await pageProblems(served.url, ['/notifications'])).toEqual([]);
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

describe.concurrent('examples/resumable-chat', () => {
  test.each(['node', 'deno', 'bun'] as const)(
    '%s: an answer read in two cuts with Last-Event-ID, whole once; stop; 204 and 404; SIGTERM mid-answer exits 0',
    async (runtime) => {
      const server = await startExample('resumable-chat', { TOKEN_MS: '20' }, runtime);
      const ask = async (prompt: string) => {
        const response = await fetch(`${server.url}/chat/answers`, {
          method: 'POST',
          body: prompt,
        });
        expect(response.status).toBe(201);
        return ((await response.json()) as { id: string }).id;
      };
      const state = async (id: string) =>
        ((await (await fetch(`${server.url}/chat/answers/${id}`)).json()) as { state: string })
          .state;
      const tokens = (stream: StreamReader) =>
        stream.events.filter((event) => event.event === 'token');
      try {
        const id = await ask('hi');
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        const events = `/chat/answers/${id}/events`;
        const first = await open(server.url, events);
        await first.until((s) => tokens(s).length >= 5);
        first.disconnect();
        const cursor = tokens(first).at(-1)!.id!;
        const rest = await open(server.url, events, { 'last-event-id': cursor });
        await rest.toEnd(10_000);
        expect(rest.events.at(-1)).toMatchObject({ event: 'end', data: 'done' });
        const text = [...tokens(first), ...tokens(rest)].map((event) => event.data).join('');
        expect(text).toBe(answerTo('hi'));
        expect(new Set([...tokens(first), ...tokens(rest)].map((event) => event.id)).size).toBe(
          tokens(first).length + tokens(rest).length,
        );
        expect(await state(id)).toBe('done');
        // A late reader from the start: the whole answer again.
        const late = await (await fetch(server.url + events)).text();
        expect(late.match(/^event: token$/gm)?.length).toBe(
          tokens(first).length + tokens(rest).length,
        );

        // Stop from another request: every reader gets the end, `stopped`.
        const stopping = await ask('stop me');
        const reader = await open(server.url, `/chat/answers/${stopping}/events`);
        await reader.until((s) => tokens(s).length >= 2);
        const stop = await fetch(`${server.url}/chat/answers/${stopping}/stop`, { method: 'POST' });
        expect(await stop.json()).toEqual({ stopped: true });
        await reader.toEnd(5000);
        expect(reader.events.at(-1)).toMatchObject({ event: 'end', data: 'stopped' });
        expect(tokens(reader).length).toBeLessThan(answerTo('stop me').split(' ').length);
        expect(await state(stopping)).toBe('stopped');

        // Unknown: 204 (EventSource stops asking); not an id at all: 404.
        const unknown = await fetch(`${server.url}/chat/answers/${crypto.randomUUID()}/events`);
        expect(unknown.status).toBe(204);
        expect((await fetch(`${server.url}/chat/answers/${'x'.repeat(200)}/events`)).status).toBe(
          404,
        );

        // SIGTERM while an answer is written: it is stopped, the process exits by itself.
        const running = await ask('still running');
        const open1 = await open(server.url, `/chat/answers/${running}/events`);
        await open1.until((s) => tokens(s).length >= 1);
        expect(await server.stop('SIGTERM')).toBe(0);
        expect(server.output()).toContain('resumable-chat closed');
      } finally {
        await server.stop('SIGKILL');
      }
    },
    40_000,
  );
});
