import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { LogFilterError, logFilter, tailLog } from '../../adapters/jobs/tail/index.ts';
import { SSEError } from '../../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssekit-tail-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (level: unknown, msg: string, extra = {}) => JSON.stringify({ level, msg, ...extra });

describe('logFilter', () => {
  test('level keeps that level and above, by name (any case) or pino number', () => {
    const filter = logFilter('/logs?level=WARN');
    expect(filter.level).toBe('warn');
    expect(filter.test(line('warn', 'a'))).toBe(true);
    expect(filter.test(line('Error', 'a'))).toBe(true);
    expect(filter.test(line('warning', 'a'))).toBe(true);
    expect(filter.test(line(50, 'pino error'))).toBe(true);
    expect(filter.test(line('info', 'a'))).toBe(false);
    expect(filter.test(line(30, 'pino info'))).toBe(false);
    expect(filter.test(line('notice', 'unknown level'))).toBe(false);
    expect(filter.test('plain text, no level')).toBe(false);
  });

  test('search finds text in values, case-insensitive, not in keys', () => {
    const filter = logFilter(new URLSearchParams({ search: 'TimeOut' }));
    expect(filter.test(line('info', 'db timeout after 5s'))).toBe(true);
    expect(filter.test(line('info', 'ok', { detail: { reason: 'timeout' } }))).toBe(true);
    expect(filter.test(line('info', 'ok', { timeout: 5 }))).toBe(false);
    expect(filter.test('a plain timeout line')).toBe(true);
    expect(logFilter('?search=level').test(line('info', 'x'))).toBe(false);
  });

  test('level and search together; none or all lets everything through', () => {
    const filter = logFilter(new URL('http://x/?level=error&search=db'));
    expect(filter.test(line('error', 'db down'))).toBe(true);
    expect(filter.test(line('error', 'cache down'))).toBe(false);
    expect(filter.test(line('info', 'db up'))).toBe(false);
    for (const query of ['', '?level=all', '?level=&search=']) {
      expect(logFilter(query).test('not even json')).toBe(true);
    }
  });

  test('bad parameters are LogFilterErrors whose response is a 400 that says what to pass', async () => {
    const cases: [string, RegExp][] = [
      [
        '?level=loud',
        /level: expected one of trace, debug, info, warn, error, fatal or all, got "loud"/,
      ],
      ['?level=info&level=warn', /Give level once/],
      [`?search=${'x'.repeat(201)}`, /search: expected at most 200 characters/],
    ];
    for (const [query, message] of cases) {
      let error: unknown;
      try {
        logFilter(new Request(`http://x/logs${query}`));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(LogFilterError);
      expect(error).toBeInstanceOf(SSEError);
      const response = (error as LogFilterError).response();
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(message);
    }
  });
});

describe('tailLog', () => {
  test('streams the matching lines appended to the file as log events', async () => {
    const path = join(dir, 'app.jsonl');
    writeFileSync(path, `${line('error', 'before the stream')}\n`);
    const leave = new AbortController();
    const request = new Request('http://x/logs?level=warn&search=disk', { signal: leave.signal });
    const response = await tailLog(request, path, { pollMs: 10, heartbeat: false, retry: 5000 });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = (await reader.read()).value!;
    expect(text).toBe('retry: 5000\n\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    appendFileSync(path, `${line('info', 'disk ok')}\n${line('warn', 'cpu hot')}\n`);
    appendFileSync(path, `${line('error', 'disk full', { free: 0 })}\n`);
    while (!text.includes('disk full')) text += (await reader.read()).value;
    const { size } = statSync(path);
    expect(text).toBe(
      `retry: 5000\n\nevent: log\nid: ${statSync(path).ino}:${size}\ndata: ${line('error', 'disk full', { free: 0 })}\n\n`,
    );
    leave.abort();
    expect((await reader.read()).done).toBe(true);
  });

  test('a client that reconnects with Last-Event-ID gets the lines written while it was away', async () => {
    const path = join(dir, 'resume.jsonl');
    writeFileSync(path, `${line('info', 'one')}\n`);
    const { ino, size } = statSync(path);
    appendFileSync(path, `${line('info', 'two')}\n${line('info', 'three')}\n`);
    const read = async (lastEventId: string, until: string) => {
      const leave = new AbortController();
      const request = new Request('http://x/logs', {
        headers: { 'last-event-id': lastEventId },
        signal: leave.signal,
      });
      const response = await tailLog(request, path, { pollMs: 10, heartbeat: false });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes(until)) text += (await reader.read()).value;
      leave.abort();
      return text;
    };
    const resumed = await read(`${ino}:${size}`, '"three"');
    expect(resumed.match(/data: .*/g)).toEqual([
      `data: ${line('info', 'two')}`,
      `data: ${line('info', 'three')}`,
    ]);
    // An id that is not a cursor is ignored: from the end, as a new client.
    const fresh = read('made-up', '"four"');
    await new Promise((resolve) => setTimeout(resolve, 50));
    appendFileSync(path, `${line('info', 'four')}\n`);
    expect((await fresh).match(/data: .*/g)).toEqual([`data: ${line('info', 'four')}`]);
    // Rotated since: the old file's cursor resumes at the start of the new one.
    renameSync(path, `${path}.1`);
    writeFileSync(path, `${line('info', 'five')}\n`);
    const rotated = await read(`${ino}:${size}`, '"five"');
    expect(rotated.match(/data: .*/g)).toEqual([`data: ${line('info', 'five')}`]);
  });

  test('a bad parameter gets a 400, a missing file a 404', async () => {
    const bad = await tailLog(new Request('http://x/logs?level=verbose'), join(dir, 'app.jsonl'));
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/level: expected one of/);
    const missing = await tailLog(new Request('http://x/logs'), join(dir, 'nope.jsonl'));
    expect(missing.status).toBe(404);
  });
});
