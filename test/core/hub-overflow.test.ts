import { describe, expect, test } from 'vitest';
import {
  createHub,
  type Hub,
  type HubOverflowInfo,
  type Subscription,
} from '../../src/hub/index.ts';

const macrotask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Reads a subscription to its end, keeping the data of each message. */
function consume(subscription: Subscription): string[] {
  const got: string[] = [];
  (async () => {
    for await (const message of subscription) got.push(/data: (.*)/.exec(message.text)![1]!);
  })();
  return got;
}

/** Microtask turns until `promise` settles: how long the publisher waited, as a count. */
async function turnsUntil(promise: Promise<unknown>): Promise<number> {
  let settled = false;
  promise.then(() => (settled = true));
  let turns = 0;
  while (!settled) {
    await null;
    turns++;
  }
  return turns;
}

async function publishRound(hub: Hub, from: number, count: number): Promise<number> {
  const ids: Promise<string>[] = [];
  for (let n = from; n < from + count; n++) ids.push(hub.publish('t', String(n)));
  return turnsUntil(Promise.all(ids));
}

describe('bounded subscriber queues', () => {
  test('a stalled subscriber is disconnected at its bound while 1,000 others get every message, and the publisher never waits', async () => {
    const hub = createHub({ maxQueued: 50 });
    const readers = Array.from({ length: 1000 }, () => consume(hub.subscribe('t')));
    let closes = 0;
    const stalled = hub.subscribe('t', { close: () => closes++ });
    await macrotask();

    const turns: number[] = [];
    for (let round = 0; round < 20; round++) {
      turns.push(await publishRound(hub, round * 25, 25));
      if (round === 1) expect(stalled.queued).toBe(50); // full, not over
      if (round === 2) expect(closes).toBe(1); // message 51 found it full
      await macrotask(); // the others read
    }

    const all = Array.from({ length: 500 }, (_, n) => String(n));
    expect(readers.every((got) => got.length === 500)).toBe(true);
    expect(readers[0]).toEqual(all);
    expect(readers[999]).toEqual(all);
    expect(stalled.queued).toBe(0);
    expect(await stalled.next()).toEqual({ done: true, value: undefined });
    expect(hub.stats()).toMatchObject({
      subscribers: 1000,
      published: 500,
      delivered: 500_000,
      disconnected: 1,
      dropped: 0,
    });
    // The publisher's wait is the same before, during and after the stall.
    expect(new Set(turns).size).toBe(1);
  });

  test("'drop-oldest' keeps the newest messages within the count bound", async () => {
    const hub = createHub({ maxQueued: 10, overflow: 'drop-oldest' });
    const reader = consume(hub.subscribe('t'));
    const stalled = hub.subscribe('t');
    await macrotask();
    for (let round = 0; round < 5; round++) {
      await publishRound(hub, round * 5, 5);
      await macrotask();
    }
    expect(stalled.queued).toBe(10);
    expect(reader).toHaveLength(25);
    const late = consume(stalled);
    await macrotask();
    expect(late).toEqual(Array.from({ length: 10 }, (_, n) => String(n + 15)));
    expect(hub.stats()).toMatchObject({ dropped: 15, disconnected: 0 });
  });

  test('the byte bound and a callback policy', async () => {
    const calls: HubOverflowInfo[] = [];
    const hub = createHub({
      maxQueuedBytes: 100,
      overflow: (info) => {
        calls.push(info);
        return info.queued < 3 ? 'drop-oldest' : undefined; // undefined drops the new message
      },
    });
    const stalled = hub.subscribe('t');
    const size = new TextEncoder().encode(
      `id: ${await hub.publish('t', 'x'.repeat(20))}\ndata: ${'x'.repeat(20)}\n\n`,
    ).length;
    for (let n = 0; n < 5; n++) await hub.publish('t', 'x'.repeat(20));
    const perMessage = Math.floor(100 / size);
    expect(stalled.queued).toBe(perMessage);
    expect(calls[0]).toMatchObject({ queued: perMessage, queuedBytes: perMessage * size, size });
    expect(calls[0]!.topics).toEqual(['t']);
    expect(hub.stats().dropped).toBe(6 - perMessage);
  });

  test('live messages that arrive during a replay count against the bound too', async () => {
    let release!: () => void;
    // A log whose replay answer waits: live messages queue meanwhile.
    const slow = createHub({
      maxQueued: 2,
      log: {
        append: () => 'x-1',
        follow: () => () => {},
        read: () =>
          new Promise((resolve) => (release = () => resolve({ entries: [], tooOld: false }))),
        compare: () => 1,
      },
    });
    let closes = 0;
    const subscription = slow.subscribe('t', { lastEventId: 'x-0', close: () => closes++ });
    const entry = (id: string) => ({
      id,
      topics: ['t'],
      message: { bytes: new Uint8Array(1), text: 'x' },
    });
    for (const id of ['1', '2', '3']) subscription.offer(entry(id) as never);
    expect(closes).toBe(1);
    release();
    expect(await subscription.next()).toEqual({ done: true, value: undefined });
    expect(slow.stats()).toMatchObject({ subscribers: 0, disconnected: 1 });
  });
});
