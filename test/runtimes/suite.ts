/**
 * The runtime suite: the same assertions against the fixture app served by
 * each real runtime through its adapter. Known runtime gaps are named flags
 * (see `Gaps`); a flagged test asserts the gap itself, so it fails the day
 * the runtime closes it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Counter, counters, open, type Runtime, type Served, uniqueKey } from './harness.ts';

const ticks = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ event: 'tick', id: `${i + 1}`, data: `{"n":${i + 1}}` }));

export function runtimeSuite(runtime: Runtime): void {
  describe(runtime.name, () => {
    let served: Served;
    let url: string;

    beforeAll(async () => {
      served = await runtime.start();
      url = served.url;
      // Warm up: the first request of a fresh process pays for compilation.
      for (let i = 0; i < 3; i++) await (await fetch(`${url}/ok`)).text();
    }, 40_000);
    afterAll(() => served?.stop());

    test('a silent source sends headers and a first chunk within 200 ms', async () => {
      const stream = await open(url, '/silent');
      await stream.until((s) => s.text.length > 0, 1000);
      expect(stream.firstChunkAt - stream.startedAt).toBeLessThan(200);
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(stream.response.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
      expect(stream.text).toBe(':\n\n');
      stream.disconnect();
    });

    test('events arrive complete and in order, then the stream ends', async () => {
      const stream = await (
        await open(url, `/ticker?count=20&interval=5&key=${uniqueKey('order')}`)
      ).toEnd();
      expect(stream.events.filter((e) => e.event)).toEqual(ticks(20));
      expect(stream.text.endsWith('\n\n')).toBe(true);
    });

    if (runtime.gaps?.noDisconnectNotice) {
      test('GAP noDisconnectNotice: a client that leaves is not reported, cleanup does not run', async () => {
        const key = uniqueKey('gap');
        const stream = await open(url, `/ticker?interval=50&key=${key}`);
        await stream.until((s) => s.events.filter((e) => e.event).length >= 2);
        stream.disconnect();
        const seen = await counters(url, key, (c) => c.finally > 0 || c.closes.length > 0, 1500);
        expect(seen).toEqual({ finally: 0, closes: [], signalAborts: 0 });
      });
    } else {
      test('a client that leaves makes cleanup run exactly once within 1 s', async () => {
        const key = uniqueKey('disconnect');
        // The source's `finally` awaits 100 ms before it counts: slow cleanup must finish too.
        const stream = await open(url, `/ticker?interval=50&cleanupMs=100&key=${key}`);
        await stream.until((s) => s.events.filter((e) => e.event).length >= 2);
        const leftAt = performance.now();
        stream.disconnect();
        const done = (c: Counter) => c.finally > 0 && c.closes.length > 0 && c.signalAborts > 0;
        const seen = await counters(url, key, done, 1000);
        expect(performance.now() - leftAt).toBeLessThan(1000);
        expect(seen).toEqual({ finally: 1, closes: ['disconnect'], signalAborts: 1 });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await counters(url, key)).toEqual(seen);
      });
    }

    if (runtime.gaps?.cleanupNeedsWaitUntil) {
      test('GAP cleanupNeedsWaitUntil: cleanup that awaits, without ctx.waitUntil, is cut short', async () => {
        const key = uniqueKey('cut');
        const stream = await open(url, `/ticker?interval=50&cleanupMs=100&noWaitUntil&key=${key}`);
        await stream.until((s) => s.events.filter((e) => e.event).length >= 2);
        stream.disconnect();
        const seen = await counters(url, key, (c) => c.finally > 0, 1000);
        expect(seen).toEqual({ finally: 0, closes: ['disconnect'], signalAborts: 1 });
      });
    }

    test('a normal end runs cleanup once and is not a disconnect', async () => {
      const key = uniqueKey('end');
      const stream = await (await open(url, `/finite?count=3&key=${key}`)).toEnd();
      expect(stream.events.map((e) => e.data)).toEqual([undefined, 'line 1', 'line 2', 'line 3']);
      await counters(url, key, (c) => c.finally > 0, 1000);
      // Deno aborts request.signal after a normal finish: give it time to.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await counters(url, key)).toEqual({ finally: 1, closes: ['end'], signalAborts: 0 });
    });

    test('Last-Event-ID reaches the source and a new id comes back', async () => {
      const resumed = await (
        await open(url, '/last-event-id', { 'last-event-id': 'abc 41' })
      ).toEnd();
      expect(resumed.events.at(-1)).toEqual({ event: 'echo', id: 'next', data: 'abc 41' });
      const fresh = await (await open(url, '/last-event-id')).toEnd();
      expect(fresh.events.at(-1)).toEqual({ event: 'echo', id: 'next', data: '(none)' });
    });

    test('what a source yields before it waits arrives before the wait ends', async () => {
      const stream = await open(url, '/burst?ms=3000');
      await stream.until((s) => s.events.some((e) => e.event === 'last'), 2000);
      const events = stream.events.filter((e) => e.event);
      expect(events.map((e) => e.data)).toEqual([
        ...Array.from({ length: 40 }, (_, n) => `${n + 1}`),
        'before the wait',
      ]);
      expect(events.some((e) => e.event === 'late')).toBe(false);
      stream.disconnect();
    });

    test('a relay renames, drops and carries ids, event for event, with a sync or an async map', async () => {
      const tokens = Array.from({ length: 30 }, (_, i) => i + 1)
        .filter((n) => n % 3)
        .map((n) => ({
          event: 'token',
          id: String(n),
          data: JSON.stringify({ n, text: `t${n}`, via: 'relay' }),
        }));
      for (const path of ['/relay', '/relay?async']) {
        const stream = await (await open(url, path)).toEnd();
        expect(stream.events.filter((e) => e.event)).toEqual(tokens);
      }
    });

    test('a heartbeat comment arrives after idleness', async () => {
      const stream = await open(url, '/heartbeat?ms=150');
      await stream.until((s) => s.text === ':\n\n');
      const idleFrom = performance.now();
      await stream.until((s) => s.text === ':\n\n:\n\n', 1000);
      expect(performance.now() - idleFrom).toBeGreaterThan(100);
      stream.disconnect();
    });

    test('a source that throws closes its stream and the server keeps serving', async () => {
      const key = uniqueKey('throw');
      const stream = await (await open(url, `/throw?key=${key}`)).toEnd();
      expect(stream.events.slice(1)).toEqual([
        { event: 'before', data: 'ok' },
        { event: 'failed', data: 'try again' },
      ]);
      expect(stream.text).not.toContain('secret');
      expect((await counters(url, key, (c) => c.closes.length > 0)).closes).toEqual(['error']);
      const again = await fetch(`${url}/ok`);
      expect(await again.text()).toBe('ok');
    });

    test('a resumable answer: a client leaves, resumes after its Last-Event-ID, a second follows, a stop ends both', async () => {
      const id = uniqueKey('answer').replace(/[^\w-]/g, '');
      const first = await open(url, `/answer?id=${id}&count=60&interval=10`);
      await first.until((s) => s.events.filter((e) => e.event === 'token').length >= 5);
      first.disconnect();
      const seen = first.events.filter((e) => e.event === 'token');
      const resumed = await (
        await open(url, `/answer/resume?id=${id}`, { 'last-event-id': seen.at(-1)!.id! })
      ).toEnd(5000);
      const rest = resumed.events.filter((e) => e.event === 'token');
      expect([...seen, ...rest].map((e) => e.data)).toEqual(
        Array.from({ length: 60 }, (_, n) => `word${n} `),
      );
      expect(await (await fetch(`${url}/answer/status?id=${id}`)).json()).toBe('done');
      expect(
        (
          await fetch(`${url}/answer/resume?id=${id}`, {
            headers: { 'last-event-id': rest.at(-1)!.id! },
          })
        ).status,
      ).toBe(204);

      const endless = `${id}-stop`;
      const a = await open(url, `/answer?id=${endless}&interval=10`);
      const b = await open(url, `/answer/resume?id=${endless}`);
      await b.until((s) => s.events.filter((e) => e.event === 'token').length >= 3);
      expect(await (await fetch(`${url}/answer/stop?id=${endless}`)).json()).toBe(true);
      await Promise.all([a.toEnd(), b.toEnd()]);
      const tokensOf = (s: typeof a) =>
        s.events.filter((e) => e.event === 'token').map((e) => e.data);
      expect(tokensOf(b)).toEqual(tokensOf(a));
      expect(await (await fetch(`${url}/answer/status?id=${endless}`)).json()).toBe('stopped');
    });

    const { prints } = runtime;
    if (prints) {
      test(`the server printed "${prints.text}" ${prints.times} time(s)`, () => {
        expect(served.printed?.().split(prints.text).length).toBe(prints.times + 1);
      });
    }

    if (runtime.quiet) {
      test('the server printed no warning or error', async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(served.printed?.()).toBe('');
      });
    }

    test('a stream silent for longer than 10 s stays open (heartbeat off)', async () => {
      // Bun's default idleTimeout is 10 s, enforced about 2 s late (measured:
      // a cut at 12 s), so 14 s of silence; every runtime must outlast it.
      const stream = await open(url, '/idle?ms=14000');
      await stream.until((s) => s.events.some((e) => e.event === 'start'));
      await stream.until((s) => s.events.some((e) => e.event === 'after'), 16_000);
      await stream.toEnd();
      expect(stream.events.map((e) => e.event)).toEqual([undefined, 'start', 'after']);
    }, 20_000);
  });
}
