import { describe, expect, test } from 'vitest';
import { SSEOptionError } from '../../src/errors.ts';
import {
  createHub,
  createMemoryLog,
  type HubEntry,
  type HubLog,
  type HubPageLimits,
} from '../../src/hub/index.ts';
import { take } from './hub-helpers.ts';

const data = (texts: string[]) => texts.map((text) => /data: (.*)/.exec(text)?.[1]);
const all: HubPageLimits = { entries: 1000, bytes: 1 << 20 };

describe('the memory log is bounded in bytes', () => {
  test('maxBytes drops the oldest entries; a cursor before them gets a reset', async () => {
    // Each entry's bytes: 'id: <epoch>-n\ndata: <100 x>\n\n'.
    const hub = createHub({ log: createMemoryLog({ maxBytes: 400 }) });
    const ids: string[] = [];
    for (let n = 0; n < 10; n++) ids.push(await hub.publish('t', String(n).repeat(100)));
    const size = 'id: \ndata: \n\n'.length + ids[0]!.length + 100;
    const kept = Math.floor(400 / size);
    const from = ids.at(-kept - 1)!;
    const replay = await take(hub.subscribe('t', { lastEventId: from }), kept);
    expect(data(replay)).toEqual(ids.slice(-kept).map((_, i) => String(10 - kept + i).repeat(100)));
    const behind = hub.subscribe('t', { lastEventId: ids.at(-kept - 2)! });
    expect(await take(behind, 1)).toEqual([`event: reset\nid: ${ids[9]}\ndata: \n\n`]);
  });

  test('an entry above maxBytes is delivered live but not kept for replay', async () => {
    const hub = createHub({ log: createMemoryLog({ maxBytes: 100 }) });
    const small = await hub.publish('t', 'small');
    const live = hub.subscribe('t');
    const big = await hub.publish('t', 'x'.repeat(200));
    expect(data(await take(live, 1))).toEqual(['x'.repeat(200)]);
    expect(await take(hub.subscribe('t', { lastEventId: small }), 1)).toEqual([
      `event: reset\nid: ${big}\ndata: \n\n`,
    ]);
  });

  test('each message is kept once: as its bytes, its text decoded on demand', async () => {
    const log = createMemoryLog();
    const entries: HubEntry[] = [];
    log.follow((entry) => entries.push(entry));
    log.append(['t'], 'data: héllo\n\n');
    const { message } = entries[0]!;
    // No text copy beside the bytes, which a private field holds (the brand).
    expect(Object.getOwnPropertyNames(message)).toEqual([]);
    expect(message.text).toBe(`id: ${entries[0]!.id}\ndata: héllo\n\n`);
    expect(new TextDecoder().decode(message.bytes)).toBe(message.text);
  });

  test('maxBytes must be a whole number above 0', () => {
    for (const maxBytes of [0, -1, 1.5, '1000', Number.NaN]) {
      expect(() => createMemoryLog({ maxBytes: maxBytes as number })).toThrow(SSEOptionError);
    }
    expect(() => createMemoryLog({ maxBytes: 0 })).toThrow(/maxBytes: expected a whole number/);
  });

  test('ids this log would not have written get a reset, not a replay', async () => {
    const hub = createHub();
    const first = await hub.publish('t', 'one');
    const second = await hub.publish('t', 'two');
    const epoch = first.slice(0, first.lastIndexOf('-'));
    const wrong = ['0x1', '1e0', '', '01', '+1', '1.0', ' 1', '-1', '1 ', '99999999999999999'];
    for (const counter of wrong) {
      const subscription = hub.subscribe('t', { lastEventId: `${epoch}-${counter}` });
      expect(await take(subscription, 1)).toEqual([`event: reset\nid: ${second}\ndata: \n\n`]);
    }
    expect(data(await take(hub.subscribe('t', { lastEventId: first }), 1))).toEqual(['two']);
    expect(hub.stats().resets).toBe(wrong.length);
  });
});

describe('replay is paged', () => {
  test('the memory log answers one page within the limits, and where the next starts', () => {
    const log = createMemoryLog();
    const ids: string[] = [];
    log.follow((entry) => ids.push(entry.id));
    for (let n = 0; n < 7; n++) log.append([n % 2 ? 'odd' : 'even'], `data: ${n}\n\n`);
    const even = new Set(['even']);
    const first = log.read(ids[0]!, even, { entries: 2, bytes: 1 << 20 }) as Awaited<
      ReturnType<HubLog['read']>
    >;
    expect(first.entries.map((entry) => entry.id)).toEqual([ids[2], ids[4]]);
    expect(first).toMatchObject({ tooOld: false, head: ids[6], next: ids[4] });
    const last = log.read(first.next!, even, { entries: 2, bytes: 1 << 20 });
    expect(last).toEqual({
      entries: [expect.objectContaining({ id: ids[6] })],
      tooOld: false,
      head: ids[6],
    });
    // The byte bound: the entry that reaches it ends the page; one entry at least.
    const byBytes = log.read(ids[0]!, new Set(['odd', 'even']), { entries: 100, bytes: 1 }) as {
      entries: HubEntry[];
      next?: string;
    };
    expect(byBytes.entries.map((entry) => entry.id)).toEqual([ids[1]]);
    expect(byBytes.next).toBe(ids[1]);
    // A page that reaches the newest entry has no next: the replay is complete.
    expect(log.read(ids[0]!, even, all)).not.toHaveProperty('next');
  });

  test('a subscriber that never reads holds one page; the next is read as it drains', async () => {
    const backing = createMemoryLog({ maxEntries: 10_000 });
    const reads: { cursor: string; limits: HubPageLimits; got: number }[] = [];
    const log: HubLog = {
      append: (topics, body) => backing.append(topics, body),
      follow: (listener) => backing.follow(listener),
      compare: (a, b) => backing.compare(a, b),
      read(cursor, topics, limits) {
        const page = backing.read(cursor, topics, limits) as { entries: HubEntry[] };
        reads.push({ cursor, limits, got: page.entries.length });
        return page as never;
      },
    };
    const hub = createHub({ log, maxQueued: 100, maxQueuedBytes: 1 << 20 });
    const first = await hub.publish('t', '0');
    for (let n = 1; n < 1000; n++) await hub.publish('t', String(n));
    const subscription = hub.subscribe('t', { lastEventId: first });
    // Nothing read yet but the first page: at most a full queue.
    expect(reads).toEqual([{ cursor: first, limits: { entries: 100, bytes: 1 << 20 }, got: 100 }]);
    const got = data(await take(subscription, 100));
    expect(got).toEqual(Array.from({ length: 100 }, (_, n) => String(n + 1)));
    // Taking the page's last entry asked for the next page, and no more.
    expect(reads.length).toBe(2);
    const rest = data(await take(subscription, 899));
    expect(rest.at(-1)).toBe('999');
    expect(reads.length).toBe(10);
    // Then live, with no duplicate.
    await hub.publish('t', 'live');
    expect(data(await take(subscription, 1))).toEqual(['live']);
    expect(hub.stats()).toMatchObject({ replayed: 999, resets: 0 });
  });

  test('a page whose entries were dropped meanwhile ends the replay with a reset', async () => {
    const hub = createHub({ log: createMemoryLog({ maxEntries: 10 }), maxQueued: 3 });
    const ids: string[] = [];
    for (let n = 0; n < 10; n++) ids.push(await hub.publish('t', String(n)));
    const subscription = hub.subscribe('t', { lastEventId: ids[0] });
    expect(data(await take(subscription, 2))).toEqual(['1', '2']);
    // Ten more push out everything the replay had still to read.
    for (let n = 10; n < 20; n++) ids.push(await hub.publish('t', String(n)));
    expect(await take(subscription, 2)).toEqual([
      `id: ${ids[3]}\ndata: 3\n\n`,
      `event: reset\nid: ${ids[19]}\ndata: \n\n`,
    ]);
    await hub.publish('t', 'live');
    expect(data(await take(subscription, 1))).toEqual(['live']);
  });
});

describe('the hub checks its log', () => {
  test('a log without compare is refused when the hub is created', () => {
    const log = {
      append: () => '1',
      follow: () => () => {},
      read: () => ({ entries: [], tooOld: false }),
    };
    expect(() => createHub({ log: log as unknown as HubLog })).toThrow(SSEOptionError);
    expect(() => createHub({ log: log as unknown as HubLog })).toThrow(
      /log: expected a HubLog \(append, follow, read, compare\)/,
    );
  });
});
