import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createRedisLog,
  type RedisClientLike,
  RedisForeignEntryError,
} from '../../../adapters/logs/redis/index.ts';
import { createHub, type HubLog } from '../../../src/hub/index.ts';
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

/** Sends one command, on node-redis or ioredis. */
const command = (client: RedisClientLike, args: string[]) =>
  client.call ? client.call(args[0]!, ...args.slice(1)) : client.sendCommand!(args);

const data = (texts: string[]) => texts.map((text) => /data: (.*)/.exec(text)?.[1]);
/** An id's epoch and stream id: `<epoch>-<ms>-<seq>`. */
const parts = (id: string) => ({ epoch: id.slice(0, 14), stream: id.slice(15) });

describe.runIf(available).each(clients)('Redis log with %s', (name, connect) => {
  test('ids come from XADD; live messages fan out; replay reads after the cursor, per topic', async () => {
    const { client, quit } = await connect();
    const key = `test:${name}:basic`;
    const hub = createHub({ log: createRedisLog({ client, key }) });
    const live = hub.subscribe(['a', 'b']);
    const first = await hub.publish('a', 'one');
    const second = await hub.publish('c', 'other topic');
    const third = await hub.publish(['b', 'a'], { event: 'x', data: { n: 3 } });
    expect(first).toMatch(/^[0-9a-z]{14}-\d+-\d+$/);
    expect(parts(third).epoch).toBe(parts(first).epoch);
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
    const { epoch } = parts(head);
    const cursors = [ids[0]!, 'garbage', '99999999999999-0', `${epoch}-99999999999999-0`];
    for (const cursor of cursors) {
      const subscription = hub.subscribe('t', { lastEventId: cursor });
      expect(await take(subscription, 1)).toEqual([`event: reset\nid: ${head}\ndata: \n\n`]);
      await subscription.return();
    }
    // The newest entries survive: resuming from one of them is exact.
    const recent = hub.subscribe('t', { lastEventId: ids.at(-2)! });
    expect(await take(recent, 1)).toEqual([`id: ${head}\ndata: 249\n\n`]);
    expect(resets).toEqual(cursors);
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

  test('a cursor outside Redis’s 64-bit range gets the reset event, not an error', async () => {
    const { client, quit } = await connect();
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    const log = createRedisLog({ client, key: `test:${name}:range`, onError });
    const hub = createHub({ log, onError });
    const head = await hub.publish('t', 'one');
    const cursors = [
      '18446744073709551616-0',
      '1-18446744073709551616',
      '99999999999999999999999-0',
      '18446744073709551615-18446744073709551615',
      '00001-0',
    ].map((stream) => `${parts(head).epoch}-${stream}`);
    for (const lastEventId of cursors) {
      const subscription = hub.subscribe('t', { lastEventId });
      expect(await take(subscription, 1)).toEqual([`event: reset\nid: ${head}\ndata: \n\n`]);
      await subscription.return();
    }
    expect(errors).toEqual([]);
    expect(hub.stats().resets).toBe(cursors.length);
    await hub.close({ grace: 0 });
    await quit();
  });

  /** A hub on a fresh key whose log reports to `errors`, one message already read live. */
  async function followed(suffix: string) {
    const { client, quit } = await connect();
    const key = `test:${name}:${suffix}`;
    const errors: unknown[] = [];
    const hub = createHub({
      log: createRedisLog({ client, key, onError: (error) => errors.push(error) }),
    });
    const live = hub.subscribe('t');
    const first = await hub.publish('t', 'one');
    expect(data(await take(live, 1))).toEqual(['one']);
    return { client, quit, key, errors, hub, live, first };
  }

  test('an entry another program added is skipped and reported; following goes on', async () => {
    const { client, quit, key, errors, hub, live, first } = await followed('foreign');
    const foreign = String(await command(client, ['XADD', key, '*', 'other', 'fields']));
    // An entry as ssekit 0.2.0 wrote it (no epoch): another history's too.
    const { epoch, stream } = parts(first);
    const fields = ['p', stream, 't', '\nt\n', 'b', 'data: old\n\n'];
    const old = String(await command(client, ['XADD', key, '*', ...fields]));
    const second = await hub.publish('t', 'two');
    expect(await take(live, 1)).toEqual([`id: ${second}\ndata: two\n\n`]);
    expect(errors).toEqual([
      expect.any(RedisForeignEntryError),
      expect.any(RedisForeignEntryError),
    ]);
    expect(errors).toMatchObject([{ id: foreign }, { id: old }]);
    expect((errors[0] as Error).message).toMatch(
      /expected entries written by ssekit\/redis, got entry .* \(fields: other\).*or give the hub a key of its own/,
    );
    // A replay passes over them, and resumes from one (a page may end on it).
    for (const lastEventId of [first, `${epoch}-${foreign}`, `${epoch}-${old}`]) {
      expect(await take(hub.subscribe('t', { lastEventId }), 1)).toEqual([
        `id: ${second}\ndata: two\n\n`,
      ]);
    }
    await hub.close({ grace: 0 });
    await quit();
  });

  test('an entry shaped like ours whose body is not one message is skipped too', async () => {
    const { client, quit, key, errors, hub, live, first } = await followed('forged');
    const forged = 'data: a\n\nevent: forged\ndata: b\n\n';
    const { epoch, stream } = parts(first);
    const fields = ['e', epoch, 'p', stream, 't', '\nt\n', 'b', forged];
    const id = String(await command(client, ['XADD', key, '*', ...fields]));
    const second = await hub.publish('t', 'two');
    expect(await take(live, 1)).toEqual([`id: ${second}\ndata: two\n\n`]);
    expect(errors).toEqual([expect.any(RedisForeignEntryError)]);
    expect(errors[0]).toMatchObject({ id });
    expect(await take(hub.subscribe('t', { lastEventId: first }), 1)).toEqual([
      `id: ${second}\ndata: two\n\n`,
    ]);
    await hub.close({ grace: 0 });
    await quit();
  });

  test('replay is read in pages within the queue bounds, as the client drains', async () => {
    const { client, quit } = await connect();
    const log = createRedisLog({ client, key: `test:${name}:pages`, trim: false });
    const pages: number[] = [];
    const counted: HubLog = {
      ...log,
      read: async (cursor, topics, limits) => {
        const page = await log.read(cursor, topics, limits);
        pages.push(page.entries.length);
        return page;
      },
    };
    const hub = createHub({ log: counted, maxQueued: 50 });
    const first = await hub.publish('t', '0');
    // 1200 entries of another topic: more than one call looks at.
    await Promise.all(Array.from({ length: 1200 }, () => hub.publish('other', 'x')));
    for (let n = 1; n <= 200; n++) await hub.publish('t', String(n));
    const subscription = hub.subscribe('t', { lastEventId: first });
    expect(data(await take(subscription, 1))).toEqual(['1']);
    // A page with nothing for it, then one page of 50: nothing more is held.
    expect(pages).toEqual([0, 50]);
    const rest = data(await take(subscription, 199));
    expect(rest).toEqual(Array.from({ length: 199 }, (_, n) => String(n + 2)));
    expect(pages).toEqual([0, 50, 50, 50, 50]);
    const live = await hub.publish('t', 'live');
    expect(await take(subscription, 1)).toEqual([`id: ${live}\ndata: live\n\n`]);
    await hub.close({ grace: 0 });
    await quit();
  });
});
