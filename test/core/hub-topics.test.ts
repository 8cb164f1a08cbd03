import { describe, expect, test } from 'vitest';
import { createHub } from '../../src/hub/index.ts';
import { SSEOptionError } from '../../src/index.ts';
import { take } from './hub-helpers.ts';

const topics = (count: number, length = 8) =>
  Array.from({ length: count }, (_, n) => String(n).padStart(length, 't'));

describe('topics are bounded: per call and in length', () => {
  test('subscribe takes 100 topics and refuses 101, with what to do', async () => {
    const hub = createHub();
    const subscription = hub.subscribe(topics(100));
    expect(() => hub.subscribe(topics(101))).toThrow(SSEOptionError);
    expect(() => hub.subscribe(topics(5000))).toThrow(
      'topics: expected at most 100 topics, got 5000. Pass fewer (a topic per user or room, not per item), or raise maxTopics.',
    );
    // Nothing was registered for the refused ones.
    expect(hub.stats()).toMatchObject({ subscribers: 1 });
    expect(Object.keys(hub.stats().topics).length).toBe(100);
    const id = await hub.publish(topics(1), 'x');
    expect(await take(subscription, 1)).toEqual([`id: ${id}\ndata: x\n\n`]);
  });

  test('a topic of 256 characters is taken, one of 257 refused', () => {
    const hub = createHub();
    hub.subscribe('x'.repeat(256));
    expect(() => hub.subscribe('x'.repeat(257))).toThrow(SSEOptionError);
    expect(() => hub.subscribe(['a', 'x'.repeat(257)])).toThrow(
      /^topic: expected at most 256 characters, got "x{40}…" \(257 characters\)\. Use a shorter one such as 'user:42', or raise maxTopicLength\.$/,
    );
    expect(hub.stats().subscribers).toBe(1);
  });

  test('publish has the same bounds: a topic no subscriber could hold is a mistake', async () => {
    const hub = createHub();
    await hub.publish(topics(100, 256), 'x');
    expect(() => hub.publish(topics(101), 'x')).toThrow(/^topics: expected at most 100 topics/);
    expect(() => hub.publish('x'.repeat(257), 'x')).toThrow(/^topic: expected at most 256/);
    expect(hub.stats().published).toBe(1);
  });

  test('maxTopics and maxTopicLength raise or lower the bounds', async () => {
    const hub = createHub({ maxTopics: 2, maxTopicLength: 4 });
    hub.subscribe(['abcd', 'efgh']);
    expect(() => hub.subscribe(['a', 'b', 'c'])).toThrow(/expected at most 2 topics, got 3/);
    expect(() => hub.subscribe('abcde')).toThrow(/expected at most 4 characters/);
    const wide = createHub({ maxTopics: 5000, maxTopicLength: 1000 });
    wide.subscribe(topics(5000, 1000));
    expect(wide.stats().subscribers).toBe(1);
  });

  test('the bounds must be whole numbers above 0', () => {
    for (const value of [0, -1, 1.5, '100', Number.NaN]) {
      expect(() => createHub({ maxTopics: value as number })).toThrow(
        /^maxTopics: expected a whole number above 0/,
      );
      expect(() => createHub({ maxTopicLength: value as number })).toThrow(
        /^maxTopicLength: expected a whole number above 0/,
      );
    }
  });
});
