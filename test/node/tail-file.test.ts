import {
  appendFileSync,
  mkdtempSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { tailFile } from '../../adapters/jobs/tail/index.ts';
import { SSEOptionError } from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssekit-tail-'));
let count = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLL = 15;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh file, and a reader of its tail that collects lines as they come. */
function setup(content: string, options: Parameters<typeof tailFile>[1] = {}) {
  const path = join(dir, `app-${++count}.log`);
  writeFileSync(path, content);
  const stop = new AbortController();
  const lines: string[] = [];
  const iterator = tailFile(path, { pollMs: POLL, signal: stop.signal, ...options });
  const done = (async () => {
    for await (const line of iterator) lines.push(line);
  })();
  /** Resolves once `n` lines have arrived in all. */
  const until = async (n: number) => {
    for (let i = 0; lines.length < n && i < 600; i++) await wait(5);
    expect(lines.length).toBeGreaterThanOrEqual(n);
  };
  return { path, stop, lines, done, until };
}

test('a line written in two halves is yielded once, whole', async () => {
  const { path, stop, lines, done, until } = setup('old line\n');
  await wait(POLL * 2);
  appendFileSync(path, '{"level":"info","msg":"hal');
  await wait(POLL * 4); // several polls see the half line
  expect(lines).toEqual([]);
  appendFileSync(path, 'f é"}\n');
  await until(1);
  await wait(POLL * 3);
  expect(lines).toEqual(['{"level":"info","msg":"half é"}']);
  stop.abort();
  await done;
});

test('a character split across writes is decoded whole; CRLF ends a line too', async () => {
  const { path, stop, lines, done, until } = setup('');
  await wait(POLL * 2);
  const bytes = Buffer.from('naïve\r\n');
  appendFileSync(path, bytes.subarray(0, 3)); // ends inside 'ï'
  await wait(POLL * 3);
  appendFileSync(path, bytes.subarray(3));
  await until(1);
  expect(lines).toEqual(['naïve']);
  stop.abort();
  await done;
});

test("from 'end' skips what is there but yields the line being written, whole", async () => {
  const { path, stop, lines, done, until } = setup('one\ntwo\nthr');
  await wait(POLL * 2);
  appendFileSync(path, 'ee\nfour\n');
  await until(2);
  expect(lines).toEqual(['three', 'four']);
  stop.abort();
  await done;
});

test("from 'end' on a big file: after its last line, or after the line in progress", async () => {
  const big = `${'x'.repeat(99)}\n`.repeat(1000); // 100 kB
  const whole = setup(big);
  await wait(POLL * 2);
  appendFileSync(whole.path, 'next\n');
  await whole.until(1);
  // No line break in its last 64 KiB: the line in progress began before us.
  const partial = setup(`${big}${'y'.repeat(70_000)}`);
  await wait(POLL * 2);
  appendFileSync(partial.path, 'yyy\nnext\n');
  await partial.until(1);
  await wait(POLL * 2);
  expect(whole.lines).toEqual(['next']);
  expect(partial.lines).toEqual(['next']);
  whole.stop.abort();
  partial.stop.abort();
  await Promise.all([whole.done, partial.done]);
});

test("from 'start' yields the whole file first, then follows", async () => {
  const { path, stop, lines, done, until } = setup('one\ntwo\n', { from: 'start' });
  await until(2);
  appendFileSync(path, 'three\n');
  await until(3);
  expect(lines).toEqual(['one', 'two', 'three']);
  stop.abort();
  await done;
});

test('truncation is followed: reading starts again at the top', async () => {
  const { path, stop, lines, done, until } = setup('', { from: 'start' });
  appendFileSync(path, 'a long first line\nand a half');
  await until(1);
  truncateSync(path, 0);
  await wait(POLL * 3);
  appendFileSync(path, 'new\n');
  await until(2);
  await wait(POLL * 2);
  expect(lines).toEqual(['a long first line', 'new']);
  stop.abort();
  await done;
});

test('rotation is followed: the rest of the old file, then the new one from its start', async () => {
  const { path, stop, lines, done, until } = setup('');
  await wait(POLL * 2); // started: at the end of the empty file
  appendFileSync(path, 'before\n');
  await until(1);
  renameSync(path, `${path}.1`);
  // The writer still holds the old file for a moment; then the path is
  // missing for a while before the new file appears.
  appendFileSync(`${path}.1`, 'late write\nunterminated');
  await wait(POLL * 3);
  writeFileSync(path, 'after\n');
  await until(4);
  appendFileSync(path, 'more\n');
  await until(5);
  expect(lines).toEqual(['before', 'late write', 'unterminated', 'after', 'more']);
  stop.abort();
  await done;
});

test('abort stops polling at once: the file is closed and no timer is left', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
  const handles = () =>
    process.getActiveResourcesInfo().filter((name) => name === 'FileHandle').length;
  const before = { timers: timers(), handles: handles() };
  const { path, stop, lines, done } = setup('', { pollMs: 60_000 });
  // Parked in a 60 s wait: one timer more.
  for (let i = 0; timers() === before.timers && i < 200; i++) await wait(5);
  expect(timers()).toBe(before.timers + 1);
  const started = Date.now();
  stop.abort();
  await done;
  expect(Date.now() - started).toBeLessThan(1000);
  await wait(5);
  expect(timers()).toBe(before.timers);
  expect(handles()).toBe(before.handles);
  appendFileSync(path, 'after abort\n');
  await wait(20);
  expect(lines).toEqual([]);
});

test('a line that never ends is yielded as it is so far: memory stays bounded', async () => {
  const { path, stop, lines, done, until } = setup('', { maxLineLength: 4 });
  await wait(POLL * 2);
  appendFileSync(path, 'abcdefghij');
  await until(1);
  appendFileSync(path, 'kl\nmn\n');
  await until(3);
  expect(lines).toEqual(['abcdefghij', 'kl', 'mn']);
  stop.abort();
  await done;
});

test('bad options are SSEOptionErrors; a missing file rejects with its fs error', async () => {
  await expect(tailFile('x', { pollMs: 0 }).next()).rejects.toThrow(SSEOptionError);
  await expect(tailFile('x', { from: 'middle' as never }).next()).rejects.toThrow(
    /from: expected 'end' or 'start'/,
  );
  await expect(tailFile(join(dir, 'missing.log')).next()).rejects.toMatchObject({
    code: 'ENOENT',
  });
});
