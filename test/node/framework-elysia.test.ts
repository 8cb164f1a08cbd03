// ssekit inside Elysia on Bun, driven from Node over loopback: Elysia runs
// only on Bun, so the app (framework-elysia-app.ts) is a Bun child process.
// Elysia has no compression middleware of its own; the app installs
// ssekit's compress() and etag() through a `mapResponse` hook.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readUntil } from '../core/middleware-helpers.ts';
import { bin, type Served, spawnServer } from '../runtimes/harness.ts';

let app: Served;
beforeAll(async () => {
  app = await spawnServer(bin('bun'), ['test/node/framework-elysia-app.ts']);
}, 30_000);
afterAll(() => app?.stop());

const state = async () =>
  (await (await fetch(`${app.url}/state`)).json()) as { produced: number; finallyRan: boolean };
const release = () => fetch(`${app.url}/release`, { method: 'POST' }).then((r) => r.json());

async function waitFor(check: () => Promise<boolean>, ms = 2000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe('Elysia on Bun', () => {
  test('complete bodies are compressed and tagged by the same hook', async () => {
    const response = await fetch(`${app.url}/config`, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('etag')).toMatch(/^W\/"/);
    expect((await response.json()).items).toHaveLength(200);
  });

  test.each([
    ['passed through', '', null],
    ['compressed per event', '?compress', 'gzip'],
  ])('sseResponse from an Elysia handler streams live: %s', async (_, query, encoding) => {
    const client = new AbortController();
    const response = await fetch(`${app.url}/events${query}`, {
      headers: { 'accept-encoding': 'gzip' },
      signal: client.signal,
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('content-encoding')).toBe(encoding);
    const reader = response.body!.getReader();
    await release();
    expect(await readUntil(reader, 'data: {"n":1}')).toContain('event: odd\nid: 1');
    expect((await state()).produced).toBe(1);
    await release();
    await readUntil(reader, 'data: {"n":2}');
    client.abort();
    // Bun cancels the body when the client leaves: the source's finally runs.
    expect(await waitFor(async () => (await state()).finallyRan)).toBe(true);
  });
});
