/**
 * The MCP TypeScript SDK on workerd (miniflare), one Durable Object per
 * session with its events in the object's SQLite (createDurableEventStore):
 * the SDK's own client, cut mid-stream by a TCP proxy, resumes with
 * Last-Event-ID and gets every progress notification once, then the result;
 * also across a restart of the object, and when the server ends the stream
 * on purpose (SEP-1699).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundle } from './harness.ts';
import { tcpProxy } from './tcp-proxy.ts';

interface SessionStub {
  status(): Promise<{ finished: number; events: number; streams: number }>;
  restart(): Promise<void>;
}

const persist = mkdtempSync(join(tmpdir(), 'ssekit-do-mcp-sdk-'));
let mf: Miniflare;
let proxy: Awaited<ReturnType<typeof tcpProxy>>;

beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    scriptPath: await bundle('mcp-server.ts', 'workerd', ['cloudflare:workers']),
    compatibilityDate: '2025-06-01',
    durableObjects: { MCP: { className: 'McpSession', useSQLite: true } },
    durableObjectsPersist: persist,
    host: '127.0.0.1',
    port: 0,
  });
  proxy = await tcpProxy(Number((await mf.ready).port));
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await mf?.dispose();
  rmSync(persist, { recursive: true, force: true });
});

/** A session of the SDK's client through the proxy, recording its HTTP requests. */
async function session(path = '/mcp') {
  const requests: { method: string; lastEventId: string | null; at: number; status?: number }[] =
    [];
  const transport = new StreamableHTTPClientTransport(new URL(`${proxy.url}${path}`), {
    reconnectionOptions: {
      initialReconnectionDelay: 100,
      maxReconnectionDelay: 1000,
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: 20,
    },
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      const request = {
        method: init?.method ?? 'GET',
        lastEventId: headers.get('last-event-id'),
        at: performance.now(),
        status: undefined as number | undefined,
      };
      requests.push(request);
      return fetch(input, init).then((response) => {
        request.status = response.status;
        return response;
      });
    },
  });
  const client = new Client({ name: 'ssekit-test', version: '1.0.0' });
  await client.connect(transport);
  const namespace = (await mf.getDurableObjectNamespace('MCP')) as unknown as {
    idFromString(id: string): unknown;
    get(id: unknown): SessionStub;
  };
  const sessionId = transport.sessionId!;
  const object = () => namespace.get(namespace.idFromString(sessionId));
  return { client, transport, sessionId, requests, object };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** A GET that resumes `sessionId` from `lastEventId`, by hand. */
const resume = (sessionId: string, lastEventId: string) =>
  fetch(`${proxy.url}/mcp`, {
    headers: {
      accept: 'text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
      'last-event-id': lastEventId,
    },
  });

describe('the MCP SDK on workerd, a session per Durable Object', () => {
  test('a client cut mid-stream resumes with Last-Event-ID: every progress notification once, then the result; another session’s id replays nothing', async () => {
    const a = await session();
    const b = await session();
    const progress: number[] = [];
    let token = '';
    try {
      const result = await a.client.callTool(
        { name: 'count', arguments: { to: 100, every: 15 } },
        undefined,
        {
          timeout: 30_000,
          onresumptiontoken: (id) => void (token = id),
          onprogress: ({ progress: n }) => {
            progress.push(n);
            if (n === 30) proxy.cut();
          },
        },
      );
      expect(result.content).toEqual([{ type: 'text', text: 'counted to 100' }]);
      expect(progress).toEqual(upTo(100));
      // It was cut, and resumed from an id of the call's stream; over RPC the
      // object saw the client leave, so the first resume was let in.
      const resumes = a.requests.filter(
        (request) => request.method === 'GET' && request.lastEventId,
      );
      expect(resumes.length).toBeGreaterThan(0);
      expect(resumes[0]!.lastEventId).toMatch(/^[0-9a-z]{28}-\d+$/);
      expect(resumes[0]!.status).toBe(200);
      // The call's result ended the resumed stream.
      expect((await a.object().status()).streams).toBe(0);
      // The advisory's attack: session b asks for a's events with a's id, or a guessed one.
      for (const lastEventId of [token, '_GET_stream:1', token.replace(/\d+$/, '1')]) {
        const answer = await resume(b.sessionId, lastEventId);
        await answer.body?.cancel(); // a replay would stay open
        expect({ lastEventId, status: answer.status }).toEqual({ lastEventId, status: 400 });
      }
      // Ending the session deletes its events: its ids resume nothing.
      await a.transport.terminateSession();
      expect((await resume(a.sessionId, token)).status).toBe(404);
      expect((await a.object().status()).events).toBe(0);
    } finally {
      await a.client.close();
      await b.client.close();
    }
  }, 30_000);

  test('forwarded with stub.fetch(request): the transport never learns the client left, so a resume is refused (409) until the call ends', async () => {
    const { client, requests } = await session('/forwarded');
    const progress: number[] = [];
    try {
      const result = await client.callTool(
        { name: 'count', arguments: { to: 100, every: 20 } },
        undefined,
        {
          timeout: 30_000,
          onprogress: ({ progress: n }) => {
            progress.push(n);
            if (n === 30) proxy.cut();
          },
        },
      );
      expect(result.content).toEqual([{ type: 'text', text: 'counted to 100' }]);
      expect(progress).toEqual(upTo(100));
      // workerd never cancels a forwarded body (with enable_request_signal
      // request.signal aborts, which the SDK's transport does not watch): the
      // cut stream stays the stream's connection in the transport, and the
      // client is refused until the call's result ends it, then replays.
      const resumes = requests.filter((request) => request.method === 'GET' && request.lastEventId);
      expect(resumes[0]!.status).toBe(409);
      expect(resumes.at(-1)!.status).toBe(200);
    } finally {
      await client.close();
    }
  }, 30_000);

  test('the object restarted between the cut and the resume: a call that finished replays from SQLite; the session’s state is rebuilt from its stored initialize', async () => {
    const { client, requests, object } = await session();
    const progress: number[] = [];
    let cut!: () => void;
    const wasCut = new Promise<void>((resolve) => (cut = resolve));
    try {
      const call = client.callTool({ name: 'count', arguments: { to: 100, every: 5 } }, undefined, {
        timeout: 30_000,
        onprogress: ({ progress: n }) => {
          progress.push(n);
          if (n === 30) {
            proxy.cut({ hold: true }); // the client's resume waits at the proxy
            cut();
          }
        },
      });
      await wasCut;
      // The tool runs on without its client and stores every event and its result.
      for (let tries = 0; (await object().status()).finished === 0; tries++) {
        expect(tries).toBeLessThan(200);
        await sleep(50);
      }
      await object()
        .restart()
        .catch(() => {});
      proxy.release();
      const result = await call;
      expect(result.content).toEqual([{ type: 'text', text: 'counted to 100' }]);
      expect(progress).toEqual(upTo(100));
      // A new instance answered the resume: it ran no tool call.
      expect((await object().status()).finished).toBe(0);
      // A gap of the SDK (1.32): a resume whose replay holds the call's
      // result keeps its stream open, until the client's transport closes.
      expect((await object().status()).streams).toBe(1);
      // The session goes on there.
      const next = await client.callTool({ name: 'count', arguments: { to: 3, every: 0 } });
      expect(next.content).toEqual([{ type: 'text', text: 'counted to 3' }]);
      expect((await object().status()).finished).toBe(1);
      expect(requests.filter((request) => request.lastEventId).length).toBeGreaterThanOrEqual(1);
    } finally {
      proxy.release();
      await client.close();
    }
  }, 30_000);

  test('the object restarted while the tool ran: the events stored before replay once, and the call never ends (its run died with the instance)', async () => {
    const { client, object } = await session();
    const progress: number[] = [];
    let cut!: () => void;
    const wasCut = new Promise<void>((resolve) => (cut = resolve));
    let settled = false;
    try {
      const call = client
        .callTool({ name: 'count', arguments: { to: 100, every: 20 } }, undefined, {
          timeout: 30_000,
          onprogress: ({ progress: n }) => {
            progress.push(n);
            if (n === 30) {
              proxy.cut({ hold: true });
              cut();
            }
          },
        })
        .finally(() => void (settled = true));
      call.catch(() => {});
      await wasCut;
      await object()
        .restart()
        .catch(() => {});
      const { events } = await object().status();
      proxy.release();
      await sleep(1000);
      expect(settled).toBe(false);
      // What was stored before the restart arrived, once and in order; no more.
      // Rows: initialize's priming event and result, the call's priming event, its progress.
      expect(progress).toEqual(upTo(events - 3));
      expect(progress.length).toBeGreaterThanOrEqual(30);
      expect(progress.length).toBeLessThan(100);
      // The new instance stored only the initialize it played again.
      expect((await object().status()).events).toBe(events + 2);
    } finally {
      proxy.release();
      await client.close();
    }
  }, 30_000);

  test('SEP-1699: the server ends the stream on purpose; the client comes back after its retry and gets the rest once', async () => {
    const { client, requests } = await session();
    const progress: number[] = [];
    let closedAt = 0;
    try {
      const result = await client.callTool(
        { name: 'count', arguments: { to: 100, every: 5, closeAt: 50 } },
        undefined,
        {
          timeout: 30_000,
          onprogress: ({ progress: n }) => {
            progress.push(n);
            if (n === 50) closedAt = performance.now();
          },
        },
      );
      expect(result.content).toEqual([{ type: 'text', text: 'counted to 100' }]);
      expect(progress).toEqual(upTo(100));
      const resumes = requests.filter((request) => request.method === 'GET' && request.lastEventId);
      expect(resumes).toHaveLength(1);
      // After the priming event's `retry: 300`, not the client's own 100 ms.
      expect(resumes[0]!.at - closedAt).toBeGreaterThanOrEqual(290);
    } finally {
      await client.close();
    }
  }, 30_000);
});
