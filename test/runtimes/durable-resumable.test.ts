import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { streamStoreChecks } from '../core/stream-store-contract.ts';
import { bundle } from './harness.ts';

const persist = mkdtempSync(join(tmpdir(), 'ssekit-do-streams-'));
afterAll(() => rmSync(persist, { recursive: true, force: true }));

async function serve() {
  const mf = new Miniflare({
    modules: true,
    scriptPath: await bundle('durable-streams.ts', 'neutral', ['cloudflare:workers']),
    compatibilityDate: '2025-06-01',
    durableObjects: { STREAMS: { className: 'TestStreams', useSQLite: true } },
    durableObjectsPersist: persist,
    host: '127.0.0.1',
    port: 0,
  });
  return { url: (await mf.ready).origin, stop: () => mf.dispose() };
}

describe('resumable streams in Durable Objects, on workerd', () => {
  let instance: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    instance = await serve();
  }, 30_000);
  afterAll(() => instance?.stop());

  test('the store keeps the contract of every stream store, run inside workerd', async () => {
    const started = performance.now();
    const passed = await (await fetch(`${instance.url}/contract`)).json();
    console.log('contract', performance.now() - started);
    expect(passed).toEqual(streamStoreChecks);
  }, 30_000);
});
