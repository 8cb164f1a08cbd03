// The log viewer: a JSON-lines log that this process writes while it runs
// (its own requests, its memory, and a few demo jobs), tailed over SSE with
// the level and search filters taken from the query string.
import { appendFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { tailLog } from '../../adapters/jobs/tail/index.ts';
import { page, type Routes } from '../shared.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';

/** A tiny JSON-lines logger that rotates its file past `maxBytes`, as logrotate would. */
function createLogger(file: string, maxBytes: number) {
  let lines = 0;
  return {
    file,
    get lines() {
      return lines;
    },
    write(level: Level, msg: string, fields: Record<string, unknown> = {}) {
      const size = (() => {
        try {
          return statSync(file).size;
        } catch {
          return 0;
        }
      })();
      if (size > maxBytes) renameSync(file, `${file}.1`); // tailLog follows the new file
      appendFileSync(
        file,
        `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`,
      );
      lines++;
    },
  };
}

// Demo jobs, so that every level shows up within a few seconds.
const JOBS: [Level, string, string][] = [
  ['info', 'sync-users', 'job finished'],
  ['debug', 'cache', 'cache hit ratio sampled'],
  ['info', 'send-digest', 'job finished'],
  ['warn', 'fetch-rates', 'upstream slow, retrying: timeout after 2000 ms'],
  ['info', 'thumbnails', 'job finished'],
  ['error', 'export-csv', 'job failed: disk quota exceeded'],
  ['info', 'sync-users', 'job finished'],
  ['debug', 'scheduler', 'next run planned'],
];

/**
 * The log example's routes: `GET /logs` (the page) and
 * `GET /logs/events?level=warn&search=timeout` (the stream).
 */
export function createLogsApp(options: { file?: string; everyMs?: number } = {}) {
  const file = options.file ?? join(tmpdir(), `ssekit-demo-${process.pid}.jsonl`);
  const log = createLogger(file, 256 * 1024);
  log.write('info', 'log example started', { pid: process.pid, node: process.version });
  let job = 0;
  const timer = setInterval(() => {
    const [level, name, msg] = JOBS[job++ % JOBS.length]!;
    log.write(level, msg, { job: name, ms: Math.round(20 + Math.random() * 400) });
    if (job % JOBS.length === 0) {
      const { rss, heapUsed } = process.memoryUsage();
      log.write('debug', 'memory', {
        rssMB: +(rss / 2 ** 20).toFixed(1),
        heapMB: +(heapUsed / 2 ** 20).toFixed(1),
      });
    }
  }, options.everyMs ?? 500);

  const routes: Routes = (request, url) => {
    if (url.pathname === '/logs') return page(new URL('./page.html', import.meta.url));
    if (url.pathname !== '/logs/events') return undefined;
    log.write('info', 'log stream opened', { query: url.search });
    // The whole endpoint: a 400 that says what to pass for a bad level or
    // search, then each new matching line as a `log` event whose id is its
    // place in the file, so a reconnecting page misses no line.
    return tailLog(request, file, { retry: 1500 });
  };

  return {
    routes,
    log,
    close() {
      clearInterval(timer);
      rmSync(file, { force: true });
      rmSync(`${file}.1`, { force: true });
    },
  };
}
