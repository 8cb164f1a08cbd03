import { describe, expect, test } from 'vitest';
import { createHub, createMemoryLog, HubClosedError } from '../../src/hub/index.ts';
import {
  EncodedMessage,
  preEncode,
  SSEFieldError,
  SSEOptionError,
  sseResponse,
} from '../../src/index.ts';
import { take } from './hub-helpers.ts';

describe('publish', () => {
  test('every subscriber gets the very same bytes, encoded once, with the id the log assigned', async () => {
    const hub = createHub();
    const subscribers = [hub.subscribe('news'), hub.subscribe('news'), hub.subscribe(['news'])];
    const reads = subscribers.map((subscription) => subscription.next());
    const id = await hub.publish('news', { event: 'headline', data: { title: 'hi' } });
    const messages = (await Promise.all(reads)).map((result) => result.value as EncodedMessage);
    expect(messages[0]).toBeInstanceOf(EncodedMessage);
    expect(messages[0]!.text).toBe(`id: ${id}\nevent: headline\ndata: {"title":"hi"}\n\n`);
    // One encoding: the same object, the same Uint8Array, for everyone.
    expect(messages[1]).toBe(messages[0]);
    expect(messages[2]!.bytes).toBe(messages[0]!.bytes);
  });

  test('ids increase across topics, and a message to several topics reaches a subscriber of several once', async () => {
    const hub = createHub();
    const both = hub.subscribe(['a', 'b']);
    const onlyB = hub.subscribe('b');
    const ids = [
      await hub.publish('a', 'one'),
      await hub.publish(['a', 'b'], 'two'),
      await hub.publish('b', 'three'),
      await hub.publish(['b', 'b'], 'four'),
    ];
    expect(new Set(ids).size).toBe(4);
    for (let index = 1; index < ids.length; index++) {
      expect(Number(ids[index]!.split('-')[1])).toBeGreaterThan(
        Number(ids[index - 1]!.split('-')[1]),
      );
    }
    expect(await take(both, 4)).toEqual(
      ['one', 'two', 'three', 'four'].map((data, index) => `id: ${ids[index]}\ndata: ${data}\n\n`),
    );
    expect(await take(onlyB, 3)).toEqual(
      ['two', 'three', 'four'].map((data, index) => `id: ${ids[index + 1]}\ndata: ${data}\n\n`),
    );
    expect(hub.stats()).toMatchObject({ published: 4, delivered: 7, subscribers: 2 });
  });

  test('the three-line handler: a subscription is an sseResponse source, Last-Event-ID included', async () => {
    const hub = createHub();
    const first = await hub.publish('feed', 'missed');
    const second = await hub.publish('feed', 'also missed');
    const controller = new AbortController();
    const request = new Request('http://x/events', {
      headers: { 'last-event-id': first },
      signal: controller.signal,
    });

    const handler = (request: Request) =>
      sseResponse((ctx) => hub.subscribe('feed', ctx), { request, heartbeat: false });

    const response = handler(request);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += (await reader.read()).value ?? '';
    };
    await readUntil('also missed');
    const third = await hub.publish('feed', { event: 'live', data: 3 });
    await readUntil('data: 3');
    expect(text).toBe(
      `:\n\nid: ${second}\ndata: also missed\n\nid: ${third}\nevent: live\ndata: 3\n\n`,
    );
    expect(hub.stats().subscribers).toBe(1);
    await reader.cancel();
    expect(hub.stats()).toMatchObject({ subscribers: 0, topics: {} });
  });

  test('invalid publishes throw typed errors before anything is stored', async () => {
    const hub = createHub();
    const subscription = hub.subscribe('t');
    expect(() => hub.publish('t', { id: 5, data: 'x' })).toThrow(SSEOptionError);
    expect(() => hub.publish('t', { event: 'a\nb', data: 'x' })).toThrow(SSEFieldError);
    expect(() => hub.publish([], 'x')).toThrow(/non-empty array/);
    expect(() => hub.publish('a\nb', 'x')).toThrow(/without CR, LF or NUL/);
    expect(() => hub.subscribe('')).toThrow(SSEOptionError);
    expect(() => createHub({ maxQueued: 0 })).toThrow(/maxQueued: expected/);
    expect(() => createHub({ overflow: 'close' as never })).toThrow(/overflow: expected/);
    expect(() => createHub({ maxConnectionAgeJitter: 2 })).toThrow(/fraction/);
    expect(() => createMemoryLog({ maxEntries: 1.5 })).toThrow(/maxEntries/);
    // The messages say what was wrong and what to do.
    expect(() => hub.publish('t', preEncode('x') as never)).toThrow(
      /publish\(\): message: expected the message itself, got a preEncode\(\) result\. Pass the message/,
    );
    expect(() => createHub({ resetEvent: '' })).toThrow(
      /resetEvent: expected a non-empty string without CR or LF, got ""/,
    );
    expect(() => createHub({ log: {} as never })).toThrow(/createRedisLog\(\) from ssekit\/redis/);
    const id = await hub.publish('t', 'fine');
    expect(id.endsWith('-1')).toBe(true);
    expect(await take(subscription, 1)).toEqual([`id: ${id}\ndata: fine\n\n`]);
    await hub.close({ grace: 0 });
    expect(() => hub.publish('t', 'late')).toThrow(HubClosedError);
  });

  test('the notifications recipe: the unread count first, replay instead of it on a reconnect', async () => {
    const hub = createHub();
    let unread = 2;
    const notifications = (request: Request) =>
      sseResponse(
        async function* (ctx) {
          const live = hub.subscribe('user:ada', ctx);
          if (!ctx.lastEventId) yield { event: 'unread', data: unread };
          yield* live;
        },
        { request, heartbeat: false },
      );
    const notify = (text: string) =>
      hub.publish('user:ada', { event: 'notification', data: { text, unread: ++unread } });

    const open = (lastEventId?: string) => {
      const controller = new AbortController();
      const headers: Record<string, string> = lastEventId ? { 'last-event-id': lastEventId } : {};
      const response = notifications(
        new Request('http://x/', { headers, signal: controller.signal }),
      );
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      return {
        async until(needle: string) {
          while (!text.includes(needle)) text += (await reader.read()).value ?? '';
          return text;
        },
        leave: () => controller.abort(),
      };
    };

    const first = open();
    expect(await first.until('data: 2')).toBe(':\n\nevent: unread\ndata: 2\n\n');
    const id = await notify('hello');
    await first.until('hello');
    first.leave();
    expect(hub.stats().subscribers).toBe(0); // the generator's yield* returned the subscription
    const missed = await notify('while away');
    const again = open(id);
    expect(await again.until('away')).toBe(
      `:\n\nid: ${missed}\nevent: notification\ndata: {"text":"while away","unread":4}\n\n`,
    );
    again.leave();
  });
});
