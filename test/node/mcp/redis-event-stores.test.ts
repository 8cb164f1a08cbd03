import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import {
  createRedisEventStores,
  type RedisClientLike,
} from '../../../adapters/logs/redis/index.ts';
import { SSEOptionError } from '../../../src/errors.ts';
import {
  checkEventStoreContract,
  eventStoreChecks,
  replay,
} from '../../core/event-stores-contract.ts';
import { clients, command } from '../hub/redis-helpers.ts';
import {
  redisAvailable,
  startOneNodeCluster,
  startRedis,
  type TestRedis,
} from '../hub/redis-server.ts';

// The contract of every MCP event store on a real redis-server, with both
// clients; then what is Redis's own: the keys (one Cluster slot per session,
// whatever the session id), their time to live, the bytes bound, and a
// replay across more events of other streams than one call looks at.
const available = redisAvailable();
let redis: TestRedis;
let cluster: TestRedis;
beforeAll(async () => {
  if (!available) return;
  [redis, cluster] = await Promise.all([startRedis(), startOneNodeCluster()]);
});
afterAll(() => Promise.all([redis?.stop(), cluster?.stop()]));

const note = (n: number) => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progress: n },
});
let prefixes = 0;

describe.runIf(available).each(clients)('the Redis event stores with %s', (name, connect) => {
  test('keep the contract of every MCP event store', async () => {
    const { client, quit } = await connect(redis.url);
    onTestFinished(async () => void (await quit()));
    const subject = {
      create: (bounds = {}) =>
        createRedisEventStores({ client, prefix: `contract:${name}:${++prefixes}:`, ...bounds }),
      bounds: { maxEntries: true, maxAge: true },
    };
    expect(await checkEventStoreContract(subject)).toEqual(eventStoreChecks);
  }, 60_000);

  test('on a one-node Redis Cluster: a session’s keys share one slot, whatever its id', async () => {
    const { client, quit } = await connect(cluster.url);
    onTestFinished(async () => void (await quit()));
    const stores = createRedisEventStores({ client, prefix: `cluster:${name}:` });
    for (const sessionId of ['{a}', '}{', 'a}b{c', '{', '}', '{}', crypto.randomUUID(), '%7B']) {
      const store = stores.session(sessionId);
      const first = await store.storeEvent('s', note(1));
      const second = await store.storeEvent('s', note(2));
      expect((await replay(store, first)).sent.map((event) => event.id)).toEqual([second]);
      expect(await command(client, ['KEYS', `cluster:${name}:*`])).toHaveLength(2);
      await stores.deleteSession(sessionId);
      expect(await command(client, ['KEYS', `cluster:${name}:*`])).toEqual([]);
    }
    // Every session's two keys in one slot; sessions spread over slots.
    await Promise.all(
      ['x', 'y', 'z', '{x}'].map((id) => stores.session(id).storeEvent('s', note(1))),
    );
    const keys = ((await command(client, ['KEYS', `cluster:${name}:*`])) as string[]).sort();
    expect(keys).toHaveLength(8);
    const slotOf = async (key: string) =>
      Number(await command(client, ['CLUSTER', 'KEYSLOT', key]));
    const bySession = new Map<string, number[]>();
    for (const key of keys) {
      const tag = /\{([0-9a-f]{64})\}:(meta|events)$/.exec(key)![1]!;
      bySession.set(tag, [...(bySession.get(tag) ?? []), await slotOf(key)]);
    }
    expect(bySession.size).toBe(4);
    for (const [, pair] of bySession) expect(new Set(pair).size).toBe(1);
    expect(new Set([...bySession.values()].map((pair) => pair[0])).size).toBeGreaterThan(1);
  });
});

describe.runIf(available)('the Redis event stores’ own bounds and keys', () => {
  test('no key shows a session id; the keys expire ttl ms after the last event; delete removes both', async () => {
    const client = new Redis(redis.url) as unknown as RedisClientLike;
    onTestFinished(() => void (client as unknown as Redis).disconnect());
    const stores = createRedisEventStores({ client, prefix: 'ttl:', ttl: 60_000 });
    const sessionId = `secret-${crypto.randomUUID()}`;
    const store = stores.session(sessionId);
    await store.storeEvent('s', note(1));
    const keys = (await command(client, ['KEYS', 'ttl:*'])) as string[];
    expect(keys).toHaveLength(2);
    expect(keys.join()).not.toContain('secret');
    for (const key of keys) {
      const left = Number(await command(client, ['PTTL', key]));
      expect(left).toBeGreaterThan(50_000);
      expect(left).toBeLessThanOrEqual(60_000);
    }
    await stores.deleteSession(sessionId);
    expect(await command(client, ['KEYS', 'ttl:*'])).toEqual([]);
    // Expired keys: the session starts a new history, the old ids are unknown.
    const short = createRedisEventStores({ client, prefix: 'ttl:', ttl: 150 }).session(sessionId);
    const old = await short.storeEvent('s', note(1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await command(client, ['KEYS', 'ttl:*'])).toEqual([]);
    expect(await short.getStreamIdForEventId(old)).toBeUndefined();
    const again = await short.storeEvent('s', note(2));
    expect(again.split('-')[0]).not.toBe(old.split('-')[0]);
  });

  test('the bytes bound drops the oldest events; a replay crosses more events of other streams than one call looks at', async () => {
    const client = new Redis(redis.url) as unknown as RedisClientLike;
    onTestFinished(() => void (client as unknown as Redis).disconnect());
    const big = 'x'.repeat(10_000);
    // Each event costs its text, its stream id and 48 bytes (as in memory):
    // five cost one byte more than the bound, so four are kept.
    const cost = JSON.stringify({ big, n: 10 }).length + 's'.length + 48;
    const bounded = createRedisEventStores({ client, prefix: 'bytes:', maxBytes: 5 * cost - 1 });
    const bytes = bounded.session('b');
    const ids: string[] = [];
    for (let n = 10; n < 22; n++) ids.push(await bytes.storeEvent('s', { big, n }));
    expect(await bytes.getStreamIdForEventId(ids[7]!)).toBeUndefined();
    expect(await bytes.getStreamIdForEventId(ids[8]!)).toBe('s');
    expect((await replay(bytes, ids[8]!)).sent.map((event) => event.message.n)).toEqual([
      19, 20, 21,
    ]);
    // The count of bytes kept stays exact as events come and go.
    const [meta] = (await command(client, ['KEYS', 'bytes:*:meta'])) as string[];
    expect(Number(await command(client, ['HGET', meta!, 'b']))).toBe(4 * cost);

    const wide = createRedisEventStores({ client, prefix: 'scan:', maxEntries: 5000 }).session('w');
    const cursor = await wide.storeEvent('mine', note(0));
    for (let n = 0; n < 2500; n++) await wide.storeEvent('other', note(n));
    const mine = await wide.storeEvent('mine', note(1));
    for (let n = 0; n < 1200; n++) await wide.storeEvent('other', note(n));
    const last = await wide.storeEvent('mine', note(2));
    const { streamId, sent } = await replay(wide, cursor);
    expect(streamId).toBe('mine');
    expect(sent.map((event) => event.id)).toEqual([mine, last]);
    // The page's bytes are bounded too: big events come about 1 MiB at a time.
    const replies: number[] = [];
    const call = (client as unknown as Redis).call.bind(client);
    const counting = {
      async call(name: string, ...args: string[]) {
        const reply = await call(name, ...args);
        if (args[0]!.includes("'more'")) replies.push(JSON.stringify(reply).length);
        return reply;
      },
    } as RedisClientLike;
    const pages = createRedisEventStores({ client: counting, prefix: 'pages:' }).session('p');
    const start = await pages.storeEvent('s', {});
    const huge = 'y'.repeat(300_000);
    for (let n = 0; n < 8; n++) await pages.storeEvent('s', { huge, n });
    const all = await replay(pages, start);
    expect(all.sent.map((event) => event.message.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(replies.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...replies)).toBeLessThan(1_400_000);
  }, 60_000);

  test('options are checked: a prefix that would move the hash tag, a ttl, a client', () => {
    const client = { call: async () => null } as RedisClientLike;
    for (const prefix of ['a{', '}', '{x}:', 7]) {
      expect(() => createRedisEventStores({ client, prefix: prefix as string })).toThrow(
        SSEOptionError,
      );
    }
    expect(() => createRedisEventStores({ client, prefix: '{x}' })).toThrow(
      /prefix: expected a string without \{ or \}, got/,
    );
    for (const ttl of [0, -1, 1.5, Number.POSITIVE_INFINITY, '1000']) {
      expect(() => createRedisEventStores({ client, ttl: ttl as number })).toThrow(/ttl: expected/);
    }
    expect(() => createRedisEventStores({ client, maxEntries: 0 })).toThrow(/maxEntries: expected/);
    expect(() => createRedisEventStores({ client: {} as RedisClientLike })).toThrow(
      /client: expected/,
    );
    expect(() => createRedisEventStores(undefined as never)).toThrow(SSEOptionError);
  });
});
