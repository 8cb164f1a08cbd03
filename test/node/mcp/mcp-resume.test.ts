import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createRedisEventStores,
  type RedisClientLike,
} from '../../../adapters/logs/redis/index.ts';
import { createMemoryEventStores, type McpEventStores } from '../../../src/mcp/index.ts';
import { bundleFixture } from '../fixture-helpers.ts';
import { redisAvailable, startRedis, type TestRedis } from '../hub/redis-server.ts';
import { startCutProxy } from './cut-proxy.ts';
import { connectClient, oneToHundred } from './mcp-client.ts';
import { type McpServerStats, startMcpServer } from './mcp-server.ts';

// The MCP TypeScript SDK (1.32.2), server and client, resuming through
// ssekit's event stores: a client cut mid-stream, a stream closed on
// purpose (SEP-1699), and one session's client trying another's event ids.
// In one process on memory; then on Redis with two server processes, where
// every resume goes to the process that does not run the tool.

/** The `retry` of the servers' priming events, in ms. */
const RETRY = 150;

interface Deployment {
  /** The server that makes the sessions and runs the tools. */
  owner: { url: string; stats(): Promise<McpServerStats> };
  /** Where resumes go, when not to the owner (a second process). */
  other?: { url: string; stats(): Promise<McpServerStats> };
  /** The stores, as another process would open them: to see what a session keeps. */
  stores: McpEventStores;
}

const portOf = (url: string) => Number(new URL(url).port);
const routeOf = (deployment: Deployment) =>
  deployment.other
    ? (headers: Headers) => (headers.has('last-event-id') ? deployment.other!.url : undefined)
    : undefined;

async function cutAndResumed(deployment: Deployment) {
  const proxy = await startCutProxy(portOf(deployment.owner.url), 30);
  const client = await connectClient(proxy.url, routeOf(deployment));
  try {
    const { progress, tokens, text } = await client.count('count');
    expect(proxy.cuts).toBe(1);
    expect(progress).toEqual(oneToHundred); // all of them, once each, in order
    expect(text).toBe('counted to 100');
    const [first] = client.resumes();
    // The first resume came from where the cut left the client: mid-stream.
    expect(tokens.indexOf(first!.lastEventId!)).toBeGreaterThanOrEqual(1);
    expect(tokens.indexOf(first!.lastEventId!)).toBeLessThan(100);
    const owner = await deployment.owner.stats();
    if (deployment.other) {
      expect(owner.resumes).toBe(0);
      expect((await deployment.other.stats()).replays).toBeGreaterThanOrEqual(1);
    } else expect(owner.resumes).toBeGreaterThanOrEqual(1);
    // Ending the session deletes its events.
    const store = deployment.stores.session(client.transport.sessionId!);
    expect(await store.getStreamIdForEventId(tokens[1]!)).toBeDefined();
    await client.close();
    expect(await store.getStreamIdForEventId(tokens[1]!)).toBeUndefined();
  } finally {
    await client.close();
    await proxy.close();
  }
}

async function closedOnPurpose(deployment: Deployment) {
  const client = await connectClient(deployment.owner.url, routeOf(deployment));
  try {
    const { progress, tokens, text } = await client.count('count-closing');
    expect(progress).toEqual(oneToHundred);
    expect(text).toBe('counted to 100');
    const { closedAt } = await deployment.owner.stats();
    expect(closedAt).toHaveLength(1);
    // The client had the priming event and 50 notifications when the stream
    // closed; it came back from the 50th after the server's retry, not its
    // own reconnection delay (5 s).
    const [first] = client.resumes();
    expect(first!.lastEventId).toBe(tokens[50]);
    expect(first!.at - closedAt[0]!).toBeGreaterThanOrEqual(RETRY - 5);
    expect(first!.at - closedAt[0]!).toBeLessThan(4000);
    if (deployment.other)
      expect((await deployment.other.stats()).replays).toBeGreaterThanOrEqual(1);
  } finally {
    await client.close();
  }
}

async function crossSession(deployment: Deployment) {
  const route = routeOf(deployment);
  const victim = await connectClient(deployment.owner.url, route);
  const attacker = await connectClient(deployment.owner.url, route);
  try {
    const stolen: string[] = [];
    let enough!: () => void;
    const twenty = new Promise<void>((resolve) => (enough = resolve));
    const call = victim.count('count', (token) => {
      if (stolen.push(token) === 20) enough();
    });
    await twenty;
    const epoch = stolen[0]!.slice(0, stolen[0]!.lastIndexOf('-'));
    const tries = [
      ...stolen.slice(0, 3),
      stolen.at(-1)!,
      '_GET_stream:1',
      '_GET_stream_1',
      '_GET_stream',
      `${epoch}-1`,
      `${epoch}-0`,
      `${epoch}-${stolen.length + 1}`,
      crypto.randomUUID(),
    ];
    const bases = [deployment.owner.url, deployment.other?.url].filter((url) => url !== undefined);
    for (const id of tries) {
      // The SDK's own resume: refused, 400.
      await expect(attacker.transport.resumeStream(id)).rejects.toMatchObject({ code: 400 });
      // On every process, nothing of the victim's in the answer.
      for (const base of bases) {
        const response = await fetch(base, {
          headers: {
            accept: 'text/event-stream',
            'mcp-session-id': attacker.transport.sessionId!,
            'mcp-protocol-version': attacker.transport.protocolVersion!,
            'last-event-id': id,
          },
        });
        expect([id, response.status]).toEqual([id, 400]);
        expect(await response.text()).not.toContain('progress');
      }
    }
    // The victim's stream was not taken: it gets everything.
    const { progress, text } = await call;
    expect(progress).toEqual(oneToHundred);
    expect(text).toBe('counted to 100');
    expect(attacker.errors.filter((error) => /progress notification/.test(error.message))).toEqual(
      [],
    );
  } finally {
    await victim.close();
    await attacker.close();
  }
}

describe('MCP servers resume on memory event stores, with the SDK’s client', () => {
  let deployment: Deployment;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const stores = createMemoryEventStores();
    const server = await startMcpServer({ stores, retryInterval: RETRY });
    close = server.close;
    deployment = { owner: { url: server.url, stats: async () => server.stats }, stores };
  });
  afterAll(() => close?.());

  test(
    'a client cut mid-stream resumes: all 100 notifications once, then the result',
    () => cutAndResumed(deployment),
    30_000,
  );
  test(
    'a stream closed on purpose (SEP-1699): the client comes back after retry',
    () => closedOnPurpose(deployment),
    30_000,
  );
  test(
    'one session’s client finds nothing with another’s event ids, or made-up ones',
    () => crossSession(deployment),
    30_000,
  );
});

const available = redisAvailable();

describe.runIf(available)('MCP servers resume on Redis event stores, across two processes', () => {
  let redis: TestRedis;
  let bundle = '';
  let client: Redis;
  const children = new Set<ChildProcess>();
  let deployment: Deployment;

  const start = async (redisClient: string) => {
    const child = spawn(process.execPath, [bundle], {
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        REDIS_CLIENT: redisClient,
        RETRY: String(RETRY),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(child);
    const port = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk) => {
        output += chunk;
        const match = /ready (\d+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`MCP server process exited early (${code})`)));
    });
    const url = `http://127.0.0.1:${port}/mcp`;
    const stats = async () =>
      (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as McpServerStats;
    return { url, stats };
  };

  beforeAll(async () => {
    [redis, bundle] = await Promise.all([
      startRedis(),
      bundleFixture('test/node/mcp/mcp-process.ts'),
    ]);
    client = new Redis(redis.url);
    const [owner, other] = await Promise.all([start('node-redis'), start('ioredis')]);
    const stores = createRedisEventStores({
      client: client as unknown as RedisClientLike,
      prefix: 'mcp:',
    });
    deployment = { owner, other, stores };
  }, 30_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    client?.disconnect();
    await redis?.stop();
    if (bundle) rmSync(bundle, { force: true });
  });

  test(
    'a client cut from process A resumes through process B: all 100 once, then the result',
    () => cutAndResumed(deployment),
    30_000,
  );
  test(
    'a stream A closes on purpose (SEP-1699) resumes through B after retry',
    () => closedOnPurpose(deployment),
    30_000,
  );
  test('resumed on the process that runs the tool, notifications back to back: none lost, none twice', async () => {
    // The race mcpEventStore closes (see test/core/mcp-event-store.test.ts):
    // without it, about 1 resume in 5 lost an event here.
    const stores = createRedisEventStores({
      client: client as unknown as RedisClientLike,
      prefix: 'owner:',
    });
    const server = await startMcpServer({ stores, retryInterval: 5, pace: 0 });
    try {
      for (let round = 0; round < 8; round++) {
        const proxy = await startCutProxy(portOf(server.url), 20 + round * 9);
        const mcp = await connectClient(proxy.url);
        try {
          const { progress } = await mcp.count('count');
          expect([round, proxy.cuts]).toEqual([round, 1]);
          expect(progress).toEqual(oneToHundred);
        } finally {
          await mcp.close();
          await proxy.close();
        }
      }
      // Nearly every round resumed (a round whose stream was all out when
      // it was cut ends without one).
      expect(server.stats.resumes).toBeGreaterThanOrEqual(4);
    } finally {
      await server.close();
    }
  }, 60_000);
  test(
    'one session’s client finds nothing with another’s event ids, on either process',
    () => crossSession(deployment),
    30_000,
  );
});
