/**
 * The MCP event store of ssekit/durable-objects on real workerd
 * (miniflare): the contract of every event store, run inside the object,
 * and a session's events that outlive the object's restart and the
 * runtime's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, describe, expect, test } from 'vitest';
import { eventStoreChecks } from '../core/event-stores-contract.ts';
import { bundle } from './harness.ts';

interface McpEventsStub {
  store(streamId: string, message: unknown): Promise<string>;
  replay(lastEventId: string): Promise<{ streamId: string; ids: string[]; messages: any[] }>;
  streamOf(eventId: string): Promise<string | undefined>;
  restart(): Promise<void>;
  contract(): Promise<string[]>;
}

const persist = mkdtempSync(join(tmpdir(), 'ssekit-do-mcp-'));
afterAll(() => rmSync(persist, { recursive: true, force: true }));

async function start() {
  const mf = new Miniflare({
    modules: true,
    scriptPath: await bundle('mcp-objects.ts', 'neutral', ['cloudflare:workers']),
    compatibilityDate: '2025-06-01',
    durableObjects: { MCP: { className: 'McpEvents', useSQLite: true } },
    durableObjectsPersist: persist,
  });
  await mf.ready;
  const namespace = (await mf.getDurableObjectNamespace('MCP')) as unknown as {
    idFromName(name: string): unknown;
    get(id: unknown): McpEventsStub;
  };
  return { mf, stub: (name: string) => namespace.get(namespace.idFromName(name)) };
}

const note = (n: number) => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progress: n },
});

describe('the Durable Object event store on workerd', () => {
  test('keeps the contract of every MCP event store', async () => {
    const { mf, stub } = await start();
    try {
      expect(await stub('contract').contract()).toEqual(eventStoreChecks);
    } finally {
      await mf.dispose();
    }
  }, 60_000);

  test('a session’s events survive a restart of the object and of the runtime; another session’s object knows none', async () => {
    let { mf, stub } = await start();
    const ids: string[] = [];
    try {
      const session = stub('session-a');
      ids.push(await session.store('req-1', {}));
      for (let n = 1; n <= 100; n++) ids.push(await session.store('req-1', note(n)));
      await session.restart().catch(() => {});
      const again = await stub('session-a').replay(ids[40]!);
      expect(again.streamId).toBe('req-1');
      expect(again.messages.map((message) => message.params.progress)).toEqual(
        Array.from({ length: 60 }, (_, n) => n + 41),
      );
      expect(await stub('session-b').streamOf(ids[40]!)).toBeUndefined();
      expect((await stub('session-b').replay(ids[40]!)).ids).toEqual([]);
    } finally {
      await mf.dispose();
    }
    ({ mf, stub } = await start());
    try {
      const after = await stub('session-a').replay(ids[0]!);
      expect(after.ids).toEqual(ids.slice(1));
    } finally {
      await mf.dispose();
    }
  }, 60_000);
});
