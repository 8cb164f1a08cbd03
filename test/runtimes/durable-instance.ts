/**
 * The fixture Worker with its hub objects on real workerd (miniflare), and
 * what the Durable Object tests share: the stubs' RPC surface and readers of
 * the events and ids.
 */
import { Miniflare } from 'miniflare';
import { expect } from 'vitest';
import type { DurableHubStats } from '../../adapters/logs/durable-objects/index.ts';
import { bundle, type StreamReader } from './harness.ts';

/** The RPC methods of the fixture's hub classes (test/runtimes/fixture/durable-objects.ts). */
export interface TestStub {
  publish(topics: string | string[], message: unknown): Promise<string>;
  stats(): Promise<DurableHubStats>;
  closes(topic: string): Promise<string[]>;
  close(options?: { grace?: number }): Promise<void>;
  logContract(replayRuns: number): Promise<string[]>;
  sql(query: string, ...bindings: unknown[]): Promise<Record<string, unknown>[]>;
  appendTo(table: string, topic: string, text: string): Promise<string>;
  row(
    table: string,
    count: number,
    length: number,
    row: number,
  ): Promise<{ delivered?: number[]; kept?: boolean; error?: string }>;
  readFrom(
    table: string,
    cursor: string,
    topic: string,
  ): Promise<{ tooOld: boolean; head?: string; ids: string[] }>;
}

/** The fixture Worker on miniflare. */
export interface Instance {
  url: string;
  stub(className: 'TEST' | 'QUIET' | 'SMALL', name: string): Promise<TestStub>;
  publish(hub: string, topic: string, text: string): Promise<string>;
  stop(): Promise<void>;
}

/** Serves the fixture Worker on workerd, its objects' SQLite kept in `persist`. */
export async function start(requestSignal: boolean, persist: string): Promise<Instance> {
  const mf = new Miniflare({
    modules: true,
    scriptPath: await bundle('durable-objects.ts', 'neutral', ['cloudflare:workers']),
    compatibilityDate: '2025-06-01',
    compatibilityFlags: requestSignal ? ['enable_request_signal'] : [],
    durableObjects: {
      TEST: { className: 'TestHub', useSQLite: true },
      QUIET: { className: 'QuietHub', useSQLite: true },
      SMALL: { className: 'SmallHub', useSQLite: true },
    },
    durableObjectsPersist: persist,
    host: '127.0.0.1',
    port: 0,
  });
  const url = (await mf.ready).origin;
  return {
    url,
    async stub(className, name) {
      const namespace = (await mf.getDurableObjectNamespace(className)) as unknown as {
        idFromName(name: string): unknown;
        get(id: unknown): TestStub;
      };
      return namespace.get(namespace.idFromName(name));
    },
    async publish(hub, topic, text) {
      const response = await fetch(`${url}/publish?hub=${hub}&topic=${topic}`, {
        method: 'POST',
        body: text,
      });
      expect(response.status).toBe(200);
      return response.text();
    },
    stop: () => mf.dispose(),
  };
}

/** The counter of a durable log's id, `<epoch>-<n>`, after checking its shape. */
export const counter = (id: string) => {
  expect(id).toMatch(/^[0-9a-z]{14}-(?:0|[1-9]\d*)$/);
  return Number(id.slice(15));
};

/** The `msg` events of a stream, as { id, data }. */
export const messages = (stream: StreamReader) =>
  stream.events.filter((event) => event.event === 'msg').map(({ id, data }) => ({ id, data }));
