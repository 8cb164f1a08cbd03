import { afterEach, describe, expect, test, vi } from 'vitest';
import { every, SSEOptionError, sseResponse } from '../../src/index.ts';
import { chunkReader } from './response-helpers.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('every', () => {
  test('yields at once, then once per interval, with the tick number', async () => {
    vi.useFakeTimers();
    const stop = new AbortController();
    const ticks = every(1000, (tick) => ({ tick, at: Date.now() }), { signal: stop.signal });
    const start = Date.now();
    expect((await ticks.next()).value).toEqual({ tick: 0, at: start });
    const second = ticks.next();
    await vi.advanceTimersByTimeAsync(999);
    let settled = false;
    void second.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await second).value).toEqual({ tick: 1, at: start + 1000 });
    stop.abort();
    expect(await ticks.next()).toEqual({ done: true, value: undefined });
  });

  test('abort while waiting ends at once and leaves no timer', async () => {
    vi.useFakeTimers();
    const stop = new AbortController();
    const ticks = every(60_000, () => 'x', { signal: stop.signal });
    await ticks.next();
    const pending = ticks.next();
    await Promise.resolve();
    expect(vi.getTimerCount()).toBe(1);
    stop.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(vi.getTimerCount()).toBe(0);
  });

  test('abort while fn is pending ends without waiting for it', async () => {
    const stop = new AbortController();
    const ticks = every(10, () => new Promise<string>(() => {}), { signal: stop.signal });
    const first = ticks.next();
    stop.abort();
    expect(await first).toEqual({ done: true, value: undefined });
  });

  test('a slow reader gets fewer, fresher values, never a burst', async () => {
    vi.useFakeTimers();
    const stop = new AbortController();
    const ticks = every(100, (tick) => tick, { signal: stop.signal });
    await ticks.next(); // tick 0 at t=0
    await vi.advanceTimersByTimeAsync(1050); // nobody reads for ten intervals
    // Tick 1 was due at t=100: it comes at once, fresh (t=1050).
    expect((await ticks.next()).value).toBe(1);
    const next = ticks.next();
    await vi.advanceTimersByTimeAsync(99);
    // Then one interval later (t=1150), not the nine missed ticks at once.
    let value: number | void | undefined;
    void next.then((result) => (value = result.value));
    await Promise.resolve();
    expect(value).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect((await next).value).toBe(2);
    stop.abort();
  });

  test('undefined sends nothing for that tick', async () => {
    vi.useFakeTimers();
    const stop = new AbortController();
    const ticks = every(10, (tick) => (tick % 2 ? tick : undefined), { signal: stop.signal });
    const first = ticks.next();
    await vi.advanceTimersByTimeAsync(10);
    expect((await first).value).toBe(1);
    stop.abort();
  });

  test('an error thrown by fn ends the iteration with that error', async () => {
    const ticks = every(10, () => {
      throw new Error('db down');
    });
    await expect(ticks.next()).rejects.toThrow('db down');
  });

  test('bad arguments are SSEOptionErrors that say what to pass', async () => {
    await expect(every(0, () => 1).next()).rejects.toThrow(SSEOptionError);
    await expect(every(Number.NaN, () => 1).next()).rejects.toThrow(/milliseconds above 0/);
    await expect(every(10, 'x' as never).next()).rejects.toThrow(/fn\): expected a function/);
  });

  test('as a source: a snapshot at once, then one per interval, ended by the client', async () => {
    let calls = 0;
    const response = sseResponse(
      ({ signal }) => every(20, () => ({ event: 'metrics', data: { n: ++calls } }), { signal }),
      { heartbeat: false },
    );
    const reader = chunkReader(response);
    let text = '';
    while (!text.includes('"n":3')) text += (await reader.next()) ?? '';
    expect(text).toContain('event: metrics\ndata: {"n":1}\n\n');
    expect(text).toContain('event: metrics\ndata: {"n":2}\n\n');
    await reader.cancel();
    const seen = calls;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls).toBe(seen); // stopped: no more snapshots taken
  });
});
