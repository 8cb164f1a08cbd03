/**
 * ssekit/durable-objects on real workerd (miniflare), with SQLite-backed
 * Durable Objects: fan-out from a separate request, the durable log's bounds
 * and replay after a restart, and what a client that leaves looks like
 * inside the object on each path (RPC, forwarded fetch), with and without
 * `enable_request_signal`. The contract of every log (the hub's replay
 * property with it) and the log's ids and rows: durable-log.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DurableHubStats } from '../../adapters/logs/durable-objects/index.ts';
import { counter, type Instance, messages, start, type TestStub } from './durable-instance.ts';
import { type Gaps, open } from './harness.ts';

/** Polls the object's stats until `done` holds or `ms` pass; returns the last seen. */
async function statsUntil(
  stub: TestStub,
  done: (stats: DurableHubStats) => boolean,
  ms = 3000,
): Promise<DurableHubStats> {
  const deadline = performance.now() + ms;
  for (;;) {
    const stats = await stub.stats();
    if (done(stats) || performance.now() > deadline) return stats;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A client subscribes, then leaves: the object's subscriber count must drop, cleanup run once. */
async function leaveAndExpectCleanup(instance: Instance, path: string, hub: string) {
  const stub = await instance.stub('TEST', hub);
  const stream = await open(instance.url, `${path}?hub=${hub}&topic=${hub}`);
  await stream.until((s) => s.text.length > 0);
  expect((await stub.stats()).subscribers).toBe(1);
  stream.disconnect();
  expect((await statsUntil(stub, (s) => s.subscribers === 0)).subscribers).toBe(0);
  expect(await stub.closes(hub)).toEqual(['disconnect']);
  await new Promise((resolve) => setTimeout(resolve, 300)); // three more heartbeats
  expect(await stub.closes(hub)).toEqual(['disconnect']);
}

const persist = mkdtempSync(join(tmpdir(), 'ssekit-do-'));
afterAll(() => rmSync(persist, { recursive: true, force: true }));

describe('workerd, enable_request_signal on', () => {
  const gaps: Gaps = { disconnectSeenAtWrite: true };
  let instance: Instance;
  beforeAll(async () => {
    instance = await start(true, join(persist, 'on'));
  }, 30_000);
  afterAll(() => instance?.stop());

  test('two clients of one object get what a separate request published, once each, in order', async () => {
    const clients = await Promise.all(
      [0, 1].map(() => open(instance.url, '/events?hub=fan&topic=news')),
    );
    for (const client of clients) await client.until((s) => s.text.length > 0);
    const ids: string[] = [];
    for (const text of ['one', 'two', 'three', 'last'])
      ids.push(await instance.publish('fan', 'news', text));
    expect(ids.map(counter)).toEqual(ids.map((_, n) => counter(ids[0]!) + n));
    expect(new Set(ids.map((id) => id.slice(0, 14))).size).toBe(1);
    for (const client of clients) {
      await client.until((s) => messages(s).some((m) => m.data === 'last'));
      expect(messages(client)).toEqual(
        ['one', 'two', 'three', 'last'].map((data, n) => ({ id: ids[n], data })),
      );
      client.disconnect();
    }
  });

  test('the log keeps count, bytes and age bounds on the object SQLite; a lost cursor gets reset', async () => {
    const stub = await instance.stub('SMALL', 'bounds');
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5])
      ids.push(await stub.publish('t', { event: 'msg', data: `m${n}` }));
    expect((await stub.stats()).log).toMatchObject({ entries: 3, head: ids[4] });
    const fromKept = await open(instance.url, '/events?class=small&hub=bounds&topic=t', {
      'last-event-id': ids[1]!,
    });
    await fromKept.until((s) => messages(s).length === 3);
    expect(messages(fromKept).map((m) => m.data)).toEqual(['m3', 'm4', 'm5']);
    const epoch = ids[4]!.slice(0, 14);
    const next = `${epoch}-${counter(ids[4]!) + 1}`;
    for (const cursor of [ids[0]!, `0${ids[4]}`, next, String(counter(ids[1]!)), 'nonsense']) {
      const lost = await open(instance.url, '/events?class=small&hub=bounds&topic=t', {
        'last-event-id': cursor,
      });
      await lost.until((s) => s.events.some((event) => event.event === 'reset'));
      expect(lost.events.find((event) => event.event === 'reset')!.id).toBe(ids[4]);
      lost.disconnect();
    }
    // Above maxBytes: sent live, not kept, and the history before it is gone.
    const big = await stub.publish('t', { event: 'msg', data: 'x'.repeat(500) });
    await fromKept.until((s) => messages(s).length === 4);
    expect((await stub.stats()).log).toMatchObject({ entries: 0, bytes: 0, head: big });
    fromKept.disconnect();
    // The age bound (1.5 s), applied when the log is next used.
    const young = await stub.publish('t', { event: 'msg', data: 'young' });
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const late = await open(instance.url, '/events?class=small&hub=bounds&topic=t', {
      'last-event-id': big,
    });
    await late.until((s) => s.events.some((event) => event.event === 'reset'));
    expect(late.events.find((event) => event.event === 'reset')!.id).toBe(young);
    late.disconnect();
  });

  test('a message above SQLite 2 MiB row is delivered live and not kept', async () => {
    const stub = await instance.stub('TEST', 'huge');
    const client = await open(instance.url, '/events?hub=huge&topic=h');
    await client.until((s) => s.text.length > 0);
    const id = await stub.publish('h', { event: 'msg', data: 'y'.repeat(2.5 * 1024 * 1024) });
    await client.until((s) => messages(s).length === 1, 5000);
    expect(messages(client)[0]!.id).toBe(id);
    expect((await stub.stats()).log).toMatchObject({ entries: 0, head: id });
    client.disconnect();
  });

  test('fetch path: too many topics, or one too long, get a 400 that says what to do', async () => {
    const stub = await instance.stub('TEST', 'bounded');
    const query = (topics: string[]) => topics.map((topic) => `topic=${topic}`).join('&');
    const many = Array.from({ length: 101 }, (_, n) => `room:${n}`);
    const refused = await fetch(`${instance.url}/fetch-events?hub=bounded&${query(many)}`);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toBe(
      'topics: expected at most 100 topics, got 101. Pass fewer (a topic per user or room, not per item), or raise maxTopics.\n',
    );
    const long = await fetch(`${instance.url}/fetch-events?hub=bounded&topic=${'x'.repeat(257)}`);
    expect(long.status).toBe(400);
    expect(await long.text()).toMatch(
      /^topic: expected at most 256 characters, got .*maxTopicLength\.\n$/,
    );
    expect((await stub.stats()).subscribers).toBe(0);
    // At the bounds: a stream.
    const full = await open(
      instance.url,
      `/fetch-events?hub=bounded&${query([...many.slice(2), 'x'.repeat(256)])}`,
    );
    await full.until((s) => s.text.length > 0);
    expect(full.response.status).toBe(200);
    expect((await stub.stats()).subscribers).toBe(1);
    full.disconnect();
  });

  test('RPC path: a client that leaves ends its subscription, cleanup once', async () => {
    await leaveAndExpectCleanup(instance, '/events', 'leave-rpc-on');
  });

  test('fetch path: a client that leaves ends its subscription, cleanup once (request.signal)', async () => {
    await leaveAndExpectCleanup(instance, '/fetch-events', 'leave-fetch-on');
  });

  test.runIf(gaps.disconnectSeenAtWrite)(
    'GAP disconnectSeenAtWrite: a silent object does not notice a client that left, until it writes',
    async () => {
      const stub = await instance.stub('QUIET', 'quiet');
      const stream = await open(instance.url, '/events?class=quiet&hub=quiet&topic=q');
      await stream.until((s) => s.text.length > 0);
      stream.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect((await stub.stats()).subscribers).toBe(1);
      await stub.publish('q', 'one');
      await stub.publish('q', 'two');
      expect((await statsUntil(stub, (s) => s.subscribers === 0)).subscribers).toBe(0);
    },
  );

  test('after a restart (storage kept), a client resumes with exactly what it missed, then live', async () => {
    const first = await open(instance.url, '/events?hub=resume&topic=r');
    await first.until((s) => s.text.length > 0);
    for (const text of ['a', 'b', 'c']) await instance.publish('resume', 'r', text);
    await first.until((s) => messages(s).length === 3);
    const seen = messages(first)[2]!.id!;
    first.disconnect();
    const missedBefore = await instance.publish('resume', 'r', 'd');
    await instance.stop();
    instance = await start(true, join(persist, 'on'));
    const missedAfter = await instance.publish('resume', 'r', 'e');
    expect([missedBefore, missedAfter].map(counter)).toEqual([
      counter(seen) + 1,
      counter(seen) + 2,
    ]);
    expect(missedAfter.slice(0, 14)).toBe(seen.slice(0, 14)); // the epoch survives the restart
    const back = await open(instance.url, '/events?hub=resume&topic=r', { 'last-event-id': seen });
    await back.until((s) => messages(s).length === 2);
    const live = await instance.publish('resume', 'r', 'f');
    await back.until((s) => messages(s).length === 3);
    expect(messages(back)).toEqual([
      { id: missedBefore, data: 'd' },
      { id: missedAfter, data: 'e' },
      { id: live, data: 'f' },
    ]);
    back.disconnect();
  }, 30_000);
});

describe('workerd, enable_request_signal off', () => {
  const gaps: Gaps = { forwardedNoDisconnectNotice: true, disconnectSeenAtWrite: true };
  let instance: Instance;
  beforeAll(async () => {
    instance = await start(false, join(persist, 'off'));
  }, 30_000);
  afterAll(() => instance?.stop());

  test('RPC path: a client that leaves ends its subscription, cleanup once, without the flag', async () => {
    await leaveAndExpectCleanup(instance, '/events', 'leave-rpc-off');
  });

  test.runIf(gaps.forwardedNoDisconnectNotice)(
    'GAP forwardedNoDisconnectNotice: behind stub.fetch, the object never learns the client left; close() ends it',
    async () => {
      const stub = await instance.stub('TEST', 'leave-fetch-off');
      const stream = await open(instance.url, '/fetch-events?hub=leave-fetch-off&topic=f');
      await stream.until((s) => s.text.length > 0);
      stream.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 800)); // eight heartbeats
      expect((await stub.stats()).subscribers).toBe(1);
      expect(await stub.closes('f')).toEqual([]);
      await stub.close({ grace: 0 });
      expect((await stub.stats()).subscribers).toBe(0);
      expect((await stub.closes('f')).length).toBe(1);
    },
  );
});
