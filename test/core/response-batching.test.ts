import { afterAll, describe, expect, test, vi } from 'vitest';
import * as main from '../../src/index.ts';
import { directStream } from '../../src/server/direct.ts';
import { chunkReader, PATHS, type Path, settle } from './response-helpers.ts';

// A pull awaits an async source's items directly and sends what it holds
// once the source stops producing. "Stops producing" is found with
// `process.nextTick` where the runtime has one, and by counting microtask
// turns elsewhere (a Worker, a browser): both are tested, the second with
// the core loaded afresh while `process` looks like a browser's.
const realProcess = globalThis.process;
/** A fresh copy of the core, loaded while `process` is `fake`. */
async function coreWith(fake: object): Promise<typeof main> {
  vi.stubGlobal('process', fake);
  vi.resetModules();
  const core: typeof main = await import('../../src/index.ts');
  vi.stubGlobal('process', realProcess);
  vi.unstubAllGlobals();
  vi.resetModules();
  return core;
}
const withoutTick = await coreWith({ ...realProcess, versions: {}, release: undefined });
// workerd with nodejs_compat: a `process` that reports a Node version but
// is not Node, and whose nextTick is a single microtask.
const lookalike = await coreWith({
  ...realProcess,
  versions: { node: '22.0.0' },
  release: undefined,
  nextTick: (callback: () => void) => queueMicrotask(callback),
});

afterAll(() => vi.unstubAllGlobals());

const SCHEDULERS = [
  ['process.nextTick', main],
  ['microtask turns', withoutTick],
  ['microtask turns, a Node look-alike', lookalike],
] as const;

const cases = SCHEDULERS.flatMap(([scheduler, core]) =>
  PATHS.map((path) => [scheduler, path, core] as const),
);

/** Reads chunks until their text holds `until`, or fails after `ms`. */
async function readUntil(
  reader: ReturnType<typeof chunkReader>,
  until: string,
  ms = 2000,
): Promise<string[]> {
  const chunks: string[] = [];
  const deadline = Date.now() + ms;
  while (!chunks.join('').includes(until)) {
    const chunk = await Promise.race([
      reader.next(),
      new Promise<'late'>((resolve) => setTimeout(resolve, deadline - Date.now(), 'late')),
    ]);
    if (chunk === 'late') throw new Error(`"${until}" did not arrive: ${JSON.stringify(chunks)}`);
    if (chunk === undefined) break;
    chunks.push(chunk);
  }
  return chunks;
}

const turns = async (count: number) => {
  for (let turn = 0; turn < count; turn++) await null;
};

describe.each(cases)('what a pull gathers (%s, %s path)', (scheduler, path: Path, core) => {
  test('the core under test is the copy it says', () => {
    // The copies must differ: otherwise the rows test one thing.
    expect(core === main).toBe(scheduler === 'process.nextTick');
  });

  test('a burst leaves as one chunk, its order kept', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const response = core.sseResponse(async function* () {
      for (let n = 0; n < 40; n++) yield { data: n };
      await gate;
      yield { data: 'after' };
    });
    const reader = chunkReader(response, path);
    await reader.next(); // the preamble
    const burst = await reader.next();
    expect(burst).toBe(Array.from({ length: 40 }, (_, n) => `data: ${n}\n\n`).join(''));
    open();
    expect(await reader.next()).toBe('data: after\n\n');
    expect(await reader.next()).toBeUndefined();
  });

  test('what was yielded before a wait arrives during the wait, after long microtask work', async () => {
    // The gate opens only once 'a' and 'b' arrived: a pull that held them
    // for a next item would never end.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const response = core.sseResponse(async function* () {
      yield 'a';
      await turns(200); // work in microtasks: the source has not stopped
      yield 'b';
      await gate; // now it waits
      yield 'c';
    });
    const reader = chunkReader(response, path);
    await reader.next();
    const chunks = await readUntil(reader, 'data: b\n\n');
    expect(chunks.join('')).toBe('data: a\n\ndata: b\n\n');
    // With a tick the pull knows 'a' was not the end: one chunk.
    if (scheduler === 'process.nextTick') expect(chunks).toHaveLength(1);
    open();
    expect(await reader.next()).toBe('data: c\n\n');
  });

  test('a consumer that stops taking stops the source, also between items, and loses nothing', async () => {
    let pulled = 0;
    const response = core.sseResponse(async function* () {
      for (let n = 0; ; n++) {
        pulled++;
        yield { data: n };
        await new Promise((resolve) => setTimeout(resolve, 1)); // a wait after each item
      }
    });
    const reader = chunkReader(response, path);
    await reader.next();
    const first = await reader.next();
    expect(first).toBe('data: 0\n\n');
    // Nobody reads now. The pull may hold one item in hand; a body (high-water
    // mark 0) may hold one chunk more. Nothing beyond that is pulled.
    await settle();
    await settle();
    const held = pulled;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(pulled).toBe(held);
    expect(held).toBeLessThanOrEqual(path === 'direct' ? 2 : 3);
    // Reading again resumes where it stopped, in order, with nothing lost.
    const chunks = await readUntil(reader, `data: ${held + 3}\n\n`);
    const numbers = chunks
      .join('')
      .split('\n\n')
      .filter(Boolean)
      .map((line) => Number(line.slice('data: '.length)));
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, n) => n + 1));
    await reader.cancel();
  });

  test('a source that fails after a wait: what it yielded arrives, then the error event', async () => {
    const response = core.sseResponse(
      async function* () {
        yield 'a';
        await new Promise((resolve) => setTimeout(resolve, 1));
        throw new Error('upstream gone');
      },
      { onError: () => ({ event: 'error', data: 'gone' }) },
    );
    const reader = chunkReader(response, path);
    await reader.next();
    expect((await reader.rest()).join('')).toBe('data: a\n\nevent: error\ndata: gone\n\n');
  });

  test('what the source yielded before it closes the stream arrives, however soon it closes', async () => {
    for (const turnsBeforeClose of [0, 20]) {
      const response = core.sseResponse(async function* (ctx) {
        yield 'a';
        await turns(turnsBeforeClose);
        ctx.close();
      });
      const text = (await chunkReader(response, path).rest()).join('');
      expect(text).toBe(':\n\ndata: a\n\n');
    }
  });

  test('what the source yielded before the signal option aborts the stream arrives', async () => {
    const abort = new AbortController();
    const response = core.sseResponse(
      async function* () {
        yield 'a';
        await turns(20);
        abort.abort();
        await turns(20);
      },
      { signal: abort.signal },
    );
    const text = (await chunkReader(response, path).rest()).join('');
    expect(text).toBe(':\n\ndata: a\n\n');
  });

  test('the push writer is not held behind a pull that waits: a slow reader gets every update', async () => {
    const response = core.sseResponse(
      async function* (ctx) {
        let n = 0;
        const timer = setInterval(() => ctx.event('update', ++n), 2);
        try {
          yield { event: 'state', data: 'snapshot' };
          await ctx.closed; // live updates through the writer from now on
        } finally {
          clearInterval(timer);
        }
      },
      { heartbeat: false },
    );
    const reader = chunkReader(response, path);
    let text = '';
    for (const until = Date.now() + 250; Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 15)); // slower than the updates
      const chunk = await Promise.race([
        reader.next(),
        new Promise<'late'>((resolve) => setTimeout(resolve, 500, 'late')),
      ]);
      if (chunk === 'late') throw new Error(`the stream stalled after: ${text}`);
      text += chunk ?? '';
    }
    await reader.cancel();
    const updates = [...text.matchAll(/data: (\d+)/g)].map((match) => Number(match[1]));
    expect(text.startsWith(':\n\nevent: state\ndata: snapshot\n\n')).toBe(true);
    expect(updates.length).toBeGreaterThan(20);
    expect(updates).toEqual(Array.from({ length: updates.length }, (_, i) => i + 1));
  });

  test('bursts through the push writer beside a parked pull all arrive', async () => {
    const response = core.sseResponse(
      async function* (ctx) {
        let n = 0;
        const timer = setInterval(() => {
          for (let i = 0; i < 3; i++) ctx.event('update', ++n);
        }, 20);
        try {
          yield { event: 'state', data: 'snapshot' };
          await ctx.closed;
        } finally {
          clearInterval(timer);
        }
      },
      { heartbeat: false },
    );
    const reader = chunkReader(response, path);
    const text = (await readUntil(reader, 'data: 15\n\n', 2000)).join('');
    await reader.cancel();
    expect([...text.matchAll(/data: (\d+)/g)].map((match) => Number(match[1]))).toEqual(
      Array.from({ length: 15 }, (_, i) => i + 1),
    );
  });

  if (path === 'direct') {
    test('nothing is written into a full sink, not even what a read held, until drained()', async () => {
      const response = core.sseResponse(
        async function* (ctx) {
          yield 'a';
          ctx.comment('x'); // fills the sink while the read holds 'a'
          await new Promise((resolve) => setTimeout(resolve, 10));
          yield 'b';
          await new Promise((resolve) => setTimeout(resolve, 10));
        },
        { heartbeat: false },
      );
      const direct = directStream(response)!;
      const writes: string[] = [];
      let full = false;
      direct.attach({
        write(bytes) {
          writes.push(`${full ? 'while full: ' : ''}${new TextDecoder().decode(bytes)}`);
          full = writes.length > 1; // the preamble fits, then the sink is full
          return !full;
        },
        end: () => writes.push('end'),
        destroy: () => writes.push('destroy'),
      });
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(writes).toEqual([':\n\n', ': x\n\n']);
      for (let round = 0; round < 3; round++) {
        full = false;
        direct.drained();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(writes.join('')).toBe(':\n\n: x\n\ndata: a\n\ndata: b\n\nend');
      expect(writes.filter((write) => write.startsWith('while full'))).toEqual([]);
    });

    test('a sink whose write throws does not take the process down', async () => {
      const uncaught: unknown[] = [];
      const record = (error: unknown) => uncaught.push(error);
      realProcess.on('uncaughtException', record);
      try {
        const response = core.sseResponse(
          async function* () {
            yield 'a';
            await new Promise((resolve) => setTimeout(resolve, 30));
          },
          { heartbeat: false },
        );
        let writes = 0;
        directStream(response)!.attach({
          write() {
            if (writes++ > 0) throw new Error('socket gone');
            return true;
          },
          end() {},
          destroy() {},
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(writes).toBe(2); // the preamble, then 'a', which threw
      } finally {
        realProcess.off('uncaughtException', record);
      }
      expect(uncaught).toEqual([]);
    });
  }
});
