import fc from 'fast-check';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createHub, createMemoryLog, type HubEntry, type HubLog } from '../../src/hub/index.ts';
import { take } from './hub-helpers.ts';

afterEach(() => {
  vi.useRealTimers();
});

const data = (texts: string[]) => texts.map((text) => /data: (.*)/.exec(text)?.[1]);

describe('replay from the in-memory log', () => {
  test('a subscriber with a Last-Event-ID gets what it missed on its topics, then live', async () => {
    const hub = createHub();
    const ids: string[] = [];
    for (const [topic, text] of [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      [['a', 'c'], '4'],
    ] as const) {
      ids.push(await hub.publish(topic, text));
    }
    const subscription = hub.subscribe(['a', 'b'], { lastEventId: ids[0] });
    await hub.publish('b', '5');
    expect(data(await take(subscription, 3))).toEqual(['2', '4', '5']);
    expect(hub.stats()).toMatchObject({ replayed: 2, delivered: 3, resets: 0 });
  });

  test('the count bound: a cursor whose successors were dropped gets the reset event and the hook', async () => {
    const resets: unknown[] = [];
    const hub = createHub({
      log: createMemoryLog({ maxEntries: 3 }),
      onReset: (info) => resets.push(info),
    });
    const ids: string[] = [];
    for (let n = 1; n <= 5; n++) ids.push(await hub.publish('t', String(n)));
    // Entries 3, 4, 5 are kept: from 2 nothing is missing, from 1 entry 2 is.
    expect(data(await take(hub.subscribe('t', { lastEventId: ids[1] }), 3))).toEqual([
      '3',
      '4',
      '5',
    ]);
    const behind = hub.subscribe('t', { lastEventId: ids[0] });
    expect(await take(behind, 1)).toEqual([`event: reset\nid: ${ids[4]}\ndata: \n\n`]);
    expect(resets).toEqual([{ lastEventId: ids[0], topics: ['t'] }]);
    // After a reset the client follows live from the head.
    await hub.publish('t', '6');
    expect(data(await take(behind, 1))).toEqual(['6']);
    expect(hub.stats().resets).toBe(1);
  });

  test('the age bound, without a timer of its own', async () => {
    vi.useFakeTimers();
    const hub = createHub({ log: createMemoryLog({ maxAge: 60_000 }), resetEvent: 'resync' });
    const old = await hub.publish('t', 'old');
    vi.advanceTimersByTime(30_000);
    const newer = await hub.publish('t', 'newer');
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(40_000); // 'old' is 70 s old now, 'newer' 40 s
    const fromOld = hub.subscribe('t', { lastEventId: old });
    expect(data(await take(fromOld, 1))).toEqual(['newer']);
    const tooOld = hub.subscribe('t', { lastEventId: `${old.split('-')[0]}-0` });
    expect(await take(tooOld, 1)).toEqual([`event: resync\nid: ${newer}\ndata: \n\n`]);
  });

  test('an id from another log (another process, a restart) or a made-up one is never replayed from', async () => {
    const before = createHub();
    const foreign = await before.publish('t', 'from a previous life');
    const hub = createHub();
    await hub.publish('t', 'mine');
    for (const lastEventId of [foreign, 'nonsense', `${foreign.split('-')[0]}-99`]) {
      const subscription = hub.subscribe('t', { lastEventId });
      expect((await take(subscription, 1))[0]).toMatch(/^event: reset\nid: .+-1\n/);
    }
    const empty = createHub();
    expect(await take(empty.subscribe('t', { lastEventId: foreign }), 1)).toEqual([
      'event: reset\nid: \ndata: \n\n',
    ]);
  });
});

/**
 * A log like Redis: ids are assigned at once, but replay reads and live
 * deliveries happen later, in whatever order the scheduler picks (deliveries
 * keep their own order, as a stream follower's do). Its replay pages hold
 * `pageSize` entries at most, so a replay takes several reads.
 */
function asyncLog(s: fc.Scheduler, pageSize: number): HubLog & { backing: HubLog } {
  const backing = createMemoryLog({ maxEntries: 10_000 });
  const undelivered: HubEntry[] = [];
  const listeners = new Set<(entry: HubEntry) => void>();
  backing.follow((entry) => {
    undelivered.push(entry);
    s.schedule(Promise.resolve(), 'deliver').then(() => {
      const next = undelivered.shift()!;
      for (const listener of listeners) listener(next);
    });
  });
  return {
    backing,
    append: (topics, body) => backing.append(topics, body),
    follow(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    read: (cursor, topics, limits) =>
      s
        .schedule(Promise.resolve(), 'read')
        .then(() =>
          backing.read(cursor, topics, { ...limits, entries: Math.min(limits.entries, pageSize) }),
        ),
    compare: backing.compare,
  };
}

const topicSet = fc.subarray(['a', 'b', 'c'], { minLength: 1 });

test('replay then live: no gap and no duplicate, whatever the interleaving (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.scheduler(),
      fc.array(topicSet, { minLength: 1, maxLength: 12 }),
      fc.array(topicSet, { maxLength: 12 }),
      fc.nat(),
      topicSet,
      fc.integer({ min: 1, max: 4 }),
      async (s, before, during, cursorPick, subscribed, pageSize) => {
        const log = asyncLog(s, pageSize);
        const hub = createHub({ log });
        const published: { id: string; topics: string[] }[] = [];
        for (const topics of before) published.push({ id: await hub.publish(topics, 'x'), topics });
        // The client last saw one of the earlier messages; some of them may not
        // even have reached this process's follower yet.
        const cursor = published[cursorPick % published.length]!.id;
        const subscription = hub.subscribe(subscribed, { lastEventId: cursor });
        const got: string[] = [];
        const reading = (async () => {
          for await (const message of subscription) got.push(/^id: (.*)$/m.exec(message.text)![1]!);
        })();
        for (const topics of during) {
          s.schedule(Promise.resolve(), 'publish').then(async () => {
            published.push({ id: await hub.publish(topics, 'x'), topics });
          });
        }
        // A page taken asks for the next one: run until nothing is left to do.
        do {
          await s.waitAll();
          await new Promise((resolve) => setTimeout(resolve, 0));
        } while (s.count() > 0);
        const wanted = published
          .filter(
            ({ id, topics }) =>
              log.compare(id, cursor) > 0 && topics.some((t) => subscribed.includes(t)),
          )
          .map(({ id }) => id);
        expect(got).toEqual(wanted);
        await subscription.return();
        await reading;
      },
    ),
    { numRuns: 150 },
  );
});
