import { afterEach, describe, expect, test, vi } from 'vitest';
import { createHub, type Subscription } from '../../src/hub/index.ts';
import { sseResponse } from '../../src/index.ts';

afterEach(() => {
  vi.useRealTimers();
});

const DONE = { done: true, value: undefined };

/** An AbortSignal that counts the abort listeners it holds. */
function countedSignal() {
  const controller = new AbortController();
  const signal = controller.signal;
  let listeners = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    listeners++;
    add(...args);
  }) as typeof add;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    listeners--;
    remove(...args);
  }) as typeof remove;
  return { controller, signal, listeners: () => listeners };
}

describe('nothing is left behind', () => {
  test('aborting a subscription removes its listener, its queue and its topics, and ends a waiting read', async () => {
    vi.useFakeTimers();
    const hub = createHub({ maxConnectionAge: 60_000 });
    const { controller, signal, listeners } = countedSignal();
    const subscription = hub.subscribe(['a', 'b'], { signal });
    const other = hub.subscribe('b');
    await hub.publish('a', 'queued');
    expect(subscription.queued).toBe(1);
    expect(listeners()).toBe(1);
    expect(vi.getTimerCount()).toBe(1); // one shared age timer, whatever the count
    await subscription.next();
    const waiting = subscription.next();
    controller.abort();
    expect(await waiting).toEqual(DONE);
    expect(listeners()).toBe(0);
    expect(subscription.queued).toBe(0);
    expect(hub.stats()).toMatchObject({ subscribers: 1, topics: { b: 1 } });
    await other.return();
    expect(hub.stats()).toMatchObject({ subscribers: 0, topics: {} });
    expect(vi.getTimerCount()).toBe(0);
  });

  test('breaking out of for await ends the subscription; so does an already aborted signal', async () => {
    const hub = createHub();
    const subscription = hub.subscribe('t');
    const published = hub.publish('t', 'one');
    for await (const message of subscription) {
      expect(message.text).toContain('data: one');
      break;
    }
    await published;
    expect(hub.stats().subscribers).toBe(0);
    const { controller, signal, listeners } = countedSignal();
    controller.abort();
    expect(await hub.subscribe('t', { signal }).next()).toEqual(DONE);
    expect(listeners()).toBe(0);
    expect(hub.stats().subscribers).toBe(0);
  });

  test('a client that leaves an sseResponse leaves nothing in the hub', async () => {
    const hub = createHub();
    const controller = new AbortController();
    const request = new Request('http://x/', { signal: controller.signal });
    const response = sseResponse((ctx) => hub.subscribe('t', ctx), { request });
    const reader = response.body!.getReader();
    await reader.read(); // the preamble
    await hub.publish('t', 'x');
    expect(hub.stats().subscribers).toBe(1);
    controller.abort();
    expect(hub.stats()).toMatchObject({ subscribers: 0, topics: {} });
  });
});

describe('close', () => {
  test('readers get what is queued and the final event, then the end; a stalled one is cut at the grace period', async () => {
    vi.useFakeTimers();
    const hub = createHub();
    const reader = hub.subscribe('t');
    let stalledClosed = 0;
    const stalled = hub.subscribe('t', { close: () => stalledClosed++ });
    const id = await hub.publish('t', 'last news');
    let closed = false;
    const closing = hub.close({ grace: 5000, event: { event: 'bye', retry: 10_000 } }).then(() => {
      closed = true;
    });
    expect(() => hub.publish('t', 'late')).toThrow(/closed/);
    expect((await reader.next()).value?.text).toBe(`id: ${id}\ndata: last news\n\n`);
    expect((await reader.next()).value?.text).toBe('event: bye\nretry: 10000\ndata: \n\n');
    expect(await reader.next()).toEqual(DONE);
    expect(stalled.queued).toBe(2);
    await vi.advanceTimersByTimeAsync(4999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(stalledClosed).toBe(1);
    expect(stalled.queued).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(hub.stats()).toMatchObject({ subscribers: 0, topics: {} });
    expect(await hub.subscribe('t').next()).toEqual(DONE); // refused after close
  });

  test('close resolves as soon as every subscriber has finished, and clears its timer', async () => {
    vi.useFakeTimers();
    const hub = createHub();
    const subscription = hub.subscribe('t');
    const waiting = subscription.next();
    const closing = hub.close({ grace: 60_000 });
    expect(await waiting).toEqual(DONE);
    await closing;
    expect(vi.getTimerCount()).toBe(0);
    expect(() => hub.close({ grace: -1 })).not.toThrow(); // already closed: the same promise
    expect(() => createHub().close({ grace: -1 })).toThrow(/grace: expected/);
  });
});

describe('maxConnectionAge', () => {
  test('ends subscriptions between age × (1 − jitter) and age, spread out, with one shared timer', async () => {
    vi.useFakeTimers();
    const hub = createHub({ maxConnectionAge: 10_000, maxConnectionAgeJitter: 0.5 });
    const subscriptions: Subscription[] = [];
    const endedAt: number[] = [];
    const start = Date.now();
    for (let n = 0; n < 200; n++) {
      const subscription = hub.subscribe('t');
      subscriptions.push(subscription);
      subscription.next().then(() => endedAt.push(Date.now() - start));
    }
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(4999);
    expect(endedAt).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(5001 + 500);
    expect(endedAt).toHaveLength(200);
    expect(Math.max(...endedAt)).toBeLessThanOrEqual(10_500);
    expect(new Set(endedAt).size).toBeGreaterThan(5); // not a thundering herd
    expect(hub.stats().subscribers).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('a subscription ended by age delivers what it has queued first', async () => {
    vi.useFakeTimers();
    const hub = createHub({ maxConnectionAge: 1000, maxConnectionAgeJitter: 0 });
    const subscription = hub.subscribe('t');
    await hub.publish('t', 'queued');
    await vi.advanceTimersByTimeAsync(1100);
    await hub.publish('t', 'after the end');
    expect((await subscription.next()).value?.text).toContain('data: queued');
    expect(await subscription.next()).toEqual(DONE);
  });
});
