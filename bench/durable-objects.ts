/**
 * How far one Durable Object goes: N event streams held open by one hub
 * object on workerd (miniflare), subscribed over RPC through a Worker, and
 * the time from a publish (a separate Worker request) until each client has
 * the message. Prints connections vs fan-out p50/p99 and workerd's resident
 * memory per connection. Usage: node bench/run.mjs durable-objects 100 500 1000 2000
 * (needs `ulimit -n` above twice the largest count).
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';

const counts = process.argv.slice(2).map(Number);
if (counts.length === 0) counts.push(100, 500, 1000, 2000);
const PUBLISHES = 6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** Resident memory of the workerd processes this one started, in KiB. */
function workerdRss(): number {
  const rows = execFileSync('ps', ['-eo', 'ppid=,rss=,comm=']).toString().trim().split('\n');
  let total = 0;
  for (const row of rows) {
    const [ppid, rss, comm] = row.trim().split(/\s+/);
    if (Number(ppid) === process.pid && comm === 'workerd') total += Number(rss);
  }
  return total;
}

const scriptPath = '.tmp/bench/durable-worker.mjs';
await build({
  entryPoints: ['bench/_durable-worker.ts'],
  outfile: scriptPath,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: ['cloudflare:workers'],
  logLevel: 'warning',
});

const rows: Record<string, string | number>[] = [];
for (const n of counts) {
  const mf = new Miniflare({
    modules: true,
    scriptPath,
    compatibilityDate: '2025-06-01',
    compatibilityFlags: ['enable_request_signal'],
    durableObjects: { HUB: { className: 'BenchHub', useSQLite: true } },
    host: '127.0.0.1',
    port: 0,
  });
  const origin = (await mf.ready).origin;
  const port = Number(new URL(origin).port);
  const hub = `n${n}`;
  const stats = async () =>
    (await (await fetch(`${origin}/stats?hub=${hub}`)).json()) as { subscribers: number };
  await stats(); // the object exists before the memory baseline
  const before = workerdRss();
  const arrivals = new Map<string, number[]>();
  const requests: http.ClientRequest[] = [];
  let errors = 0;
  const connect = () =>
    new Promise<void>((resolve) => {
      const request = http.get(
        { host: '127.0.0.1', port, path: `/events?hub=${hub}`, agent: false },
        (response) => {
          let buffer = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            const now = performance.now();
            buffer += chunk;
            for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
              const seq = /^data: (\d+)$/m.exec(buffer.slice(0, end))?.[1];
              buffer = buffer.slice(end + 2);
              if (seq) arrivals.set(seq, [...(arrivals.get(seq) ?? []), now]);
            }
          });
          response.on('error', () => errors++);
          resolve();
        },
      );
      request.on('error', () => {
        errors++;
        resolve();
      });
      requests.push(request);
    });
  const connectStart = performance.now();
  for (let i = 0; i < n; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, n - i) }, connect));
  }
  let subscribers = 0;
  for (let tries = 0; tries < 200 && subscribers < n; tries++) {
    subscribers = (await stats()).subscribers;
    if (subscribers < n) await sleep(100);
  }
  const connectMs = performance.now() - connectStart;
  const p50s: number[] = [];
  const p99s: number[] = [];
  let complete = true;
  for (let seq = 1; seq <= PUBLISHES; seq++) {
    const sent = performance.now();
    await fetch(`${origin}/publish?hub=${hub}&seq=${seq}`);
    const deadline = Date.now() + 15_000;
    while ((arrivals.get(`${seq}`)?.length ?? 0) < subscribers && Date.now() < deadline) {
      await sleep(2);
    }
    const times = (arrivals.get(`${seq}`) ?? []).map((at) => at - sent).sort((a, b) => a - b);
    complete &&= times.length === subscribers;
    if (seq > 1) {
      p50s.push(pct(times, 50)); // the first publish warms the paths up
      p99s.push(pct(times, 99));
    }
    await sleep(200);
  }
  const after = workerdRss();
  rows.push({
    connections: n,
    subscribed: subscribers,
    errors,
    'connect all (ms)': Math.round(connectMs),
    'fan-out p50 (ms)': median(p50s).toFixed(1),
    'fan-out p99 (ms)': median(p99s).toFixed(1),
    'every client got every message': complete ? 'yes' : 'NO',
    'workerd RSS per connection (KiB)': Math.round((after - before) / n),
  });
  console.log(rows.at(-1));
  for (const request of requests) request.destroy();
  await sleep(300);
  await mf.dispose();
}
console.table(rows);
