import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRedisLog, type RedisClientLike } from '../../../adapters/redis.ts';
import { createHub } from '../../../src/hub/index.ts';
import { take } from '../../core/hub-helpers.ts';
import { redisAvailable, startRedis, type TestRedis } from './redis-server.ts';

const available = redisAvailable();
let redis: TestRedis;
beforeAll(async () => {
  if (available) redis = await startRedis();
});
afterAll(() => redis?.stop());

const clients: [string, () => Promise<{ client: RedisClientLike; quit(): Promise<unknown> }>][] = [
  [
    'node-redis',
    async () => {
      const client = await createClient({ url: redis.url }).connect();
      return { client: client as unknown as RedisClientLike, quit: () => client.close() };
    },
  ],
  [
    'ioredis',
    async () => {
      const client = new Redis(redis.url);
      return { client: client as unknown as RedisClientLike, quit: () => client.quit() };
    },
  ],
];

describe.runIf(available).each(clients)('Redis log with %s', (name, connect) => {
  test('ids come from XADD; live messages fan out; replay reads after the cursor, per topic', async () => {
    const { client, quit } = await connect();
    const key = `test:${name}:basic`;
    const hub = createHub({ log: createRedisLog({ client, key }) });
    const live = hub.subscribe(['a', 'b']);
    const first = await hub.publish('a', 'one');
    const second = await hub.publish('c', 'other topic');
    const third = await hub.publish(['b', 'a'], { event: 'x', data: { n: 3 } });
    expect(first).toMatch(/^\d+-\d+$/);
    expect(await take(live, 2)).toEqual([
      `id: ${first}\ndata: one\n\n`,
      `id: ${third}\nevent: x\ndata: {"n":3}\n\n`,
    ]);
    const resumed = hub.subscribe('b', { lastEventId: first });
    expect(await take(resumed, 1)).toEqual([`id: ${third}\nevent: x\ndata: {"n":3}\n\n`]);
    const fourth = await hub.publish('b', 'four');
    expect(await take(resumed, 1)).toEqual([`id: ${fourth}\ndata: four\n\n`]);
    expect(second > first).toBe(true);
    expect(hub.stats()).toMatchObject({ replayed: 1, resets: 0 });
    await hub.close({ grace: 0 });
    await quit();
  });

  test('a cursor whose successors were trimmed, or that is not this stream’s, gets the reset event', async () => {
    const { client, quit } = await connect();
    const key = `test:${name}:trim`;
    const resets: string[] = [];
    const log = createRedisLog({ client, key, trim: { maxLen: 1 } });
    const hub = createHub({ log, onReset: ({ lastEventId }) => resets.push(lastEventId) });
    const ids: string[] = [];
    // Approximate trimming frees whole nodes of 100 entries: publish past one.
    for (let n = 0; n < 250; n++) ids.push(await hub.publish('t', String(n)));
    const head = ids.at(-1)!;
    for (const cursor of [ids[0]!, 'garbage', '99999999999999-0']) {
      const subscription = hub.subscribe('t', { lastEventId: cursor });
      expect(await take(subscription, 1)).toEqual([`event: reset\nid: ${head}\ndata: \n\n`]);
      await subscription.return();
    }
    // The newest entries survive: resuming from one of them is exact.
    const recent = hub.subscribe('t', { lastEventId: ids.at(-2)! });
    expect(await take(recent, 1)).toEqual([`id: ${head}\ndata: 249\n\n`]);
    expect(resets).toEqual([ids[0], 'garbage', '99999999999999-0']);
    await hub.close({ grace: 0 });
    await quit();
  });

  test('close ends the blocking read at once, on the log’s own connection or on one passed in', async () => {
    const { client, quit } = await connect();
    const { client: blockingClient, quit: quitBlocking } = await connect();
    for (const log of [
      createRedisLog({ client, key: `test:${name}:close`, block: 60_000 }),
      createRedisLog({ client, blockingClient, key: `test:${name}:close`, block: 60_000 }),
    ]) {
      const hub = createHub({ log });
      const subscription = hub.subscribe('t');
      const id = await hub.publish('t', 'x');
      expect(await take(subscription, 1)).toEqual([`id: ${id}\ndata: x\n\n`]);
      // Within the test's 5 s timeout, far below the 60 s block.
      await hub.close({ grace: 0 });
    }
    await quitBlocking();
    await quit();
  });
});
