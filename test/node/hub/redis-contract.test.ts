import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { createRedisLog, type RedisClientLike } from '../../../adapters/logs/redis/index.ts';
import { epochKey } from '../../../adapters/logs/redis/redis-stream.ts';
import { SSEOptionError } from '../../../src/errors.ts';
import { createHub, type HubLog, type LogBounds } from '../../../src/hub/index.ts';
import { take } from '../../core/hub-helpers.ts';
import {
  checkLogContract,
  checkOwnIds,
  contractChecks,
  type LogUnderTest,
} from '../../core/hub-log-contract.ts';
import { clients, command } from './redis-helpers.ts';
import { redisAvailable, startOneNodeCluster, startRedis, type TestRedis } from './redis-server.ts';

// The contract of every log on a real redis-server, with both clients; and
// the epoch's key on Redis Cluster, where a script's keys must share a slot.
const available = redisAvailable();
let redis: TestRedis;
let cluster: TestRedis;
beforeAll(async () => {
  if (!available) return;
  [redis, cluster] = await Promise.all([startRedis(), startOneNodeCluster()]);
});
afterAll(() => Promise.all([redis?.stop(), cluster?.stop()]));

const IDS = [
  'own ids',
  "another log's id",
  'an id it never wrote',
  'storage deleted and made again',
  "another log's id (property)",
];

/** Redis's trim for the contract's bounds, one at a time: `~` trimming, approximate. */
const trimOf = (bounds: LogBounds = {}) =>
  bounds.maxEntries
    ? { maxLen: bounds.maxEntries }
    : bounds.maxAge
      ? { maxAge: bounds.maxAge }
      : (false as const);

let keys = 0;

describe.runIf(available).each(clients)(
  'the Redis log with %s keeps the contract of every log',
  (name, connect) => {
    test('the whole contract: ids of its own, replay, pages, its trims, follow across instances, close', async () => {
      const { client, quit } = await connect(redis.url);
      const keyOf = new Map<HubLog, string>();
      const make = (key: string, bounds?: LogBounds) => {
        const log = createRedisLog({ client, key, trim: trimOf(bounds) });
        keyOf.set(log, key);
        return log;
      };
      const subject: LogUnderTest = {
        create: (bounds) => make(`contract:${name}:${++keys}`, bounds),
        async recreate(log) {
          // The stream deleted; its epoch's key is left behind.
          await command(client, ['DEL', keyOf.get(log)!]);
          return make(keyOf.get(log)!);
        },
        bounds: { maxEntries: 'approximate', maxAge: 'approximate' },
        // Another process on the same key.
        twin: (log) => make(keyOf.get(log)!),
      };
      try {
        expect(await checkLogContract(subject)).toEqual(contractChecks(subject));
      } finally {
        await quit();
      }
    }, 60_000);

    test('a Redis that restarted empty starts a new history: old ids get tooOld', async () => {
      const { client, quit } = await connect(redis.url);
      const keyOf = new Map<HubLog, string>();
      const make = (key: string) => {
        const log = createRedisLog({ client, key, trim: false });
        keyOf.set(log, key);
        return log;
      };
      try {
        const passed = await checkOwnIds(
          {
            create: () => make(`{restart}:${name}:${++keys}`),
            async recreate(log) {
              await command(client, ['FLUSHALL']);
              return make(keyOf.get(log)!);
            },
          },
          { runs: 3 },
        );
        expect(passed).toEqual(IDS);
      } finally {
        await quit();
      }
    }, 60_000);

    test('on a one-node Redis Cluster: the epoch shares its stream’s slot, and the log runs', async () => {
      const { client, quit } = await connect(cluster.url);
      onTestFinished(async () => {
        await quit();
      });
      for (const key of [
        'ssekit:hub',
        'app{tenant:1}:events',
        '{a}',
        'a{b',
        '{{a}}',
        '{a}}',
        'ü:events',
      ]) {
        const [stream, epoch] = await Promise.all(
          [key, epochKey(key)].map(async (k) =>
            Number(await command(client, ['CLUSTER', 'KEYSLOT', k])),
          ),
        );
        expect({ key, slot: epoch }).toEqual({ key, slot: stream });
        expect(epochKey(key)).not.toBe(key);
      }
      // Publish, follow and replay: each script names both keys.
      const key = `cluster:${name}`;
      const hub = createHub({ log: createRedisLog({ client, key }) });
      const live = hub.subscribe('t');
      const first = await hub.publish('t', 'one');
      const second = await hub.publish('t', 'two');
      expect(await take(live, 2)).toEqual([
        `id: ${first}\ndata: one\n\n`,
        `id: ${second}\ndata: two\n\n`,
      ]);
      expect(await take(hub.subscribe('t', { lastEventId: first }), 1)).toEqual([
        `id: ${second}\ndata: two\n\n`,
      ]);
      await hub.close({ grace: 0 });
    });
  },
);

describe.runIf(available)('the Redis log’s key', () => {
  test('a key whose epoch could not share its slot is refused: a } without a hash tag', async () => {
    const redisClient = new Redis(redis.url);
    onTestFinished(() => redisClient.disconnect());
    const client = redisClient as unknown as RedisClientLike;
    for (const key of ['a}b', 'x{}y', '{}', '}{']) {
      expect(() => createRedisLog({ client, key })).toThrow(SSEOptionError);
    }
    expect(() => createRedisLog({ client, key: 'a}b' })).toThrow(
      /key: expected a key without "}" unless it has a hash tag/,
    );
  });
});
