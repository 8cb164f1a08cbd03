import { afterAll, describe, expect, test, vi } from 'vitest';
import * as main from '../../src/index.ts';
import { chunkReader, PATHS, type Path, settle } from './_helpers.ts';

// A pull awaits an async source's items directly and sends what it holds
// once the source stops producing. "Stops producing" is found with
// `process.nextTick` where the runtime has one, and by counting microtask
// turns elsewhere (a Worker, a browser): both are tested, the second with
// the core loaded afresh while `process` looks like a browser's.
const realProcess = globalThis.process;
vi.stubGlobal('process', { ...realProcess, versions: {} });
vi.resetModules();
const withoutTick: typeof main = await import('../../src/index.ts');
vi.stubGlobal('process', realProcess);
vi.unstubAllGlobals();
vi.resetModules();

afterAll(() => vi.unstubAllGlobals());

const SCHEDULERS = [
  ['process.nextTick', main],
  ['microtask turns', withoutTick],
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
  test('the core under test finds "stops producing" the way it says', () => {
    // The second copy must not see a tick: otherwise both rows test one thing.
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
});
