/**
 * One follower per file: many log streams of one file share one open file
 * and one poll, and each still gets every line it asks for, with its own
 * filter and its own resume id.
 */
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { tailLog } from '../../adapters/jobs/tail/index.ts';
import { followerCount, shared } from '../../adapters/jobs/tail/tail-shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssekit-tail-shared-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (level: string, msg: string) => JSON.stringify({ level, msg });
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many of this process's file descriptors are open on `path`. */
const openOn = (path: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed meanwhile (the readdir's own descriptor)
    }
  }).length;

/** A log stream of `path` whose `data` lines are collected as they come. */
async function stream(path: string, query: string, headers: HeadersInit = {}) {
  const leave = new AbortController();
  const request = new Request(`http://x/logs${query}`, { headers, signal: leave.signal });
  const response = await tailLog(request, path, { pollMs: 10, heartbeat: false });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const state = { text: '', ids: [] as string[], data: [] as string[] };
  const done = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      state.text += r.value;
      state.ids = [...state.text.matchAll(/^id: (.*)$/gm)].map((m) => m[1]!);
      state.data = [...state.text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]!);
    }
  })();
  return { state, leave, done };
}

async function until(ok: () => boolean) {
  for (let i = 0; !ok() && i < 400; i++) await wait(5);
  expect(ok()).toBe(true);
}

test('50 log streams of one file: one open file, every stream its own lines', async () => {
  const path = join(dir, 'app.jsonl');
  writeFileSync(path, `${line('info', 'old')}\n`);
  const { ino, size } = statSync(path);
  appendFileSync(path, `${line('warn', 'while away')}\n`);
  const queries = ['', '?level=warn', '?search=disk', '?level=error&search=disk'];
  const streams = await Promise.all(
    Array.from({ length: 48 }, (_, n) => stream(path, queries[n % queries.length]!)),
  );
  const resumed = await stream(path, '', { 'last-event-id': `${ino}:${size}` });
  const fromStart = await stream(path, '?level=info');
  streams.push(resumed, fromStart);
  await until(() => resumed.state.data.length === 1);
  expect(openOn(path)).toBe(1);
  expect(followerCount()).toBe(1);

  const written = [line('info', 'disk ok'), line('warn', 'cpu hot'), line('error', 'disk full')];
  for (const text of written) appendFileSync(path, `${text}\n`);
  await until(() => streams.every((s) => s.state.text.includes('disk full')));
  const expected: Record<string, string[]> = {
    '': written,
    '?level=warn': written.slice(1),
    '?search=disk': [written[0]!, written[2]!],
    '?level=error&search=disk': [written[2]!],
  };
  for (const [n, s] of streams.slice(0, 48).entries()) {
    expect(s.state.data).toEqual(expected[queries[n % queries.length]!]);
  }
  // Its own resume id: the line written while away, then the new ones.
  expect(resumed.state.data).toEqual([line('warn', 'while away'), ...written]);
  const end = statSync(path).size;
  expect(resumed.state.ids.at(-1)).toBe(`${ino}:${end}`);
  expect(fromStart.state.data).toEqual(written); // from the end: only the new lines

  for (const s of streams) s.leave.abort();
  await Promise.all(streams.map((s) => s.done));
  await until(() => openOn(path) === 0);
  expect(followerCount()).toBe(0);
});

test('a reader that falls behind reads the file instead: no line lost, the others unhurried', async () => {
  const path = join(dir, 'slow.log');
  writeFileSync(path, '');
  const stop = new AbortController();
  const options = { signal: stop.signal, pollMs: 10, maxQueued: 64 };
  const slow = shared(path, options)[Symbol.asyncIterator]();
  const fast: string[] = [];
  const fastDone = (async () => {
    for await (const [text] of shared(path, options)) fast.push(text);
  })();
  const first = slow.next(); // joins, and waits for a line
  await wait(30);
  const lines = Array.from({ length: 200 }, (_, n) => `line ${n} ${'x'.repeat(20)}`);
  appendFileSync(path, `${lines.slice(0, 100).join('\n')}\n`);
  expect((await first).value![0]).toBe(lines[0]);
  await until(() => fast.length === 100); // 100 lines queued for slow would be 3,000 bytes
  appendFileSync(path, `${lines.slice(100).join('\n')}\n`);
  await until(() => fast.length === 200);
  const got = [lines[0]];
  while (got.length < 200) got.push((await slow.next()).value![0]);
  expect(got).toEqual(lines);
  expect(fast).toEqual(lines);
  expect(openOn(path)).toBe(1);
  stop.abort();
  await slow.return(undefined);
  await fastDone;
  await until(() => openOn(path) === 0);
});

test("from 'start' joins a running follower: the whole file once, then live", async () => {
  const path = join(dir, 'start.log');
  writeFileSync(path, 'a\nb\n');
  const stop = new AbortController();
  const live: string[] = [];
  const liveDone = (async () => {
    for await (const [text] of shared(path, { signal: stop.signal, pollMs: 10 })) live.push(text);
  })();
  await wait(30);
  appendFileSync(path, 'c\n');
  await until(() => live.length === 1);
  const all: string[] = [];
  const allDone = (async () => {
    for await (const [text] of shared(path, { signal: stop.signal, pollMs: 10, from: 'start' }))
      all.push(text);
  })();
  await until(() => all.length === 3);
  appendFileSync(path, 'd\n');
  await until(() => all.length === 4 && live.length === 2);
  expect(all).toEqual(['a', 'b', 'c', 'd']);
  expect(live).toEqual(['c', 'd']);
  expect(followerCount()).toBe(1);
  stop.abort();
  await Promise.all([liveDone, allDone]);
  expect(followerCount()).toBe(0);
});
