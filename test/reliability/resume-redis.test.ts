import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createRedisLog, type RedisClientLike } from '../../adapters/logs/redis/index.ts';
import { createHub, type Hub } from '../../src/hub/index.ts';
import { redisAvailable, startRedis, type TestRedis } from '../node/hub/redis-server.ts';
import {
  bundle,
  type Child,
  follower,
  publishPaced,
  record,
  scale,
  sequenceFaults,
  start,
} from './scenario-helpers.ts';

// Lossless resume across processes: two hub server processes (the Redis hub
// fixture of test/node/hub, one on node-redis, one on ioredis) share one
// Redis Stream. Readers connect to a random live process; while messages are
// published, each process is killed (SIGKILL: no goodbye) and restarted in
// turn. Every reader resumes elsewhere with its Last-Event-ID and must end
// with every message exactly once, in order.
const MESSAGES = scale(10_000, 100_000);
const READERS = scale(6, 20);
const available = redisAvailable();
const key = `reliability:${process.pid}`;
let redis: TestRedis;
let fixture = '';
let client: Redis;
let publisher: Hub;
const live: (Child | undefined)[] = [undefined, undefined];
const clients = ['node-redis', 'ioredis'] as const;

const spawnHub = (slot: 0 | 1) =>
  start(fixture, { REDIS_URL: redis.url, REDIS_CLIENT: clients[slot], STREAM_KEY: key });

beforeAll(async () => {
  if (!available) return;
  fixture = await bundle('test/node/hub/hub-process.ts');
  redis = await startRedis();
  client = new Redis(redis.url);
  // Published from here, through a third hub on the same stream: a publish
  // is never lost with a killed process, so every loss would be the readers'.
  publisher = createHub({
    log: createRedisLog({ client: client as unknown as RedisClientLike, key, trim: false }),
  });
  live[0] = await spawnHub(0);
  live[1] = await spawnHub(1);
});

afterAll(async () => {
  for (const child of live) child?.process.kill('SIGKILL');
  await publisher?.close({ grace: 0 });
  client?.disconnect();
  await redis?.stop();
});

test.runIf(available)(
  `two processes on Redis, each killed and restarted: ${READERS} readers get ${MESSAGES} messages once, in order`,
  async () => {
    const stop = new AbortController();
    // Each attempt goes to a random live process; a killed one is skipped.
    const route = () => {
      const up = live.filter((child) => child !== undefined);
      return `${up[Math.floor(Math.random() * up.length)]!.url}/events?topic=feed`;
    };
    // Readers start from a marker's id: none can miss the first messages
    // by subscribing late, whichever process it reaches and when.
    const marker = await publisher.publish('feed', 'start');
    const readers = Array.from({ length: READERS }, () =>
      follower(route, MESSAGES, stop.signal, marker),
    );
    let kills = 0;
    // Kill A at 20 %, restart it at 35 %; kill B at 55 %, restart it at 70 %.
    const plan = new Map<number, () => Promise<void>>([
      [0.2, () => kill(0)],
      [0.35, () => restart(0)],
      [0.55, () => kill(1)],
      [0.7, () => restart(1)],
    ]);
    async function kill(slot: 0 | 1) {
      const child = live[slot]!;
      live[slot] = undefined;
      child.process.kill('SIGKILL');
      await child.exited;
      kills++;
    }
    async function restart(slot: 0 | 1) {
      live[slot] = await spawnHub(slot);
    }
    const started = Date.now();
    await publishPaced(
      MESSAGES,
      (n) => publisher.publish('feed', String(n)),
      readers,
      { lag: 2_000, perSecond: scale(2_000, 2_000) },
      async (n) => {
        for (const [at, step] of plan) {
          if (n >= at * MESSAGES) {
            plan.delete(at);
            await step();
          }
        }
      },
    );
    await Promise.all(readers.map((reader) => reader.done));
    stop.abort();

    const faults = readers.map((reader) => sequenceFaults(reader.received, MESSAGES));
    for (const fault of faults) expect(fault).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0 });
    for (const reader of readers) expect(reader.resets).toBe(0);
    expect(kills).toBe(2);
    const reconnects = readers.reduce((sum, reader) => sum + reader.reconnects, 0);
    // At least the readers on each killed process came back.
    expect(reconnects).toBeGreaterThan(0);
    record('lossless resume (two processes on Redis)', {
      processes: 2,
      readers: READERS,
      messages: MESSAGES,
      seconds: Math.round((Date.now() - started) / 1000),
      processesKilled: kills,
      reconnects,
      lost: faults.reduce((sum, f) => sum + f.lost, 0),
      duplicated: faults.reduce((sum, f) => sum + f.duplicated, 0),
      outOfOrder: faults.reduce((sum, f) => sum + f.outOfOrder, 0),
    });
  },
  scale(120_000, 900_000),
);
