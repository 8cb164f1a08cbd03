import { afterEach, describe, expect, test, vi } from 'vitest';
import { createHub, createMemoryLog } from '../../src/hub/index.ts';
import { take } from './hub-helpers.ts';
import { checkReplayProperty } from './hub-replay-property.ts';

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

test('replay then live: no gap and no duplicate, whatever the interleaving (property)', async () => {
  expect(await checkReplayProperty(() => createMemoryLog({ maxEntries: 10_000 }), 150)).toBe(150);
});
