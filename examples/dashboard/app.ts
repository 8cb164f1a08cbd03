// The live dashboard: this server's own figures (memory, CPU, event-loop
// lag, open streams) and the hub's counters, a snapshot at once and a fresh
// one every second, with `every`.
import process from 'node:process';
import type { HubStats } from '../../src/hub/index.ts';
import { every, sseResponse } from '../../src/index.ts';
import { openStreamCount, page, type Routes } from '../shared.ts';

/** What each `metrics` event carries. */
export interface Metrics {
  at: number;
  uptimeS: number;
  rssMB: number;
  heapMB: number;
  cpuPercent: number;
  loopLagMs: { mean: number; max: number };
  streams: number;
  hub?: HubStats;
  logLines?: number;
}

const MB = 2 ** 20;
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/**
 * Measures event-loop lag portably (Node, Deno and Bun): a timer asks to run
 * every 20 ms, and how late it runs is the lag. CPU is read as the process
 * time used between two samples.
 */
function createSampler() {
  let lags: number[] = [];
  let expected = performance.now() + 20;
  const probe = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - expected));
    expected = now + 20;
  }, 20);
  let cpu = process.cpuUsage();
  let wall = performance.now();
  return {
    sample() {
      const used = process.cpuUsage(cpu);
      const now = performance.now();
      const cpuPercent = ((used.user + used.system) / 1000 / Math.max(1, now - wall)) * 100;
      cpu = process.cpuUsage();
      wall = now;
      const mean = lags.length ? lags.reduce((a, b) => a + b, 0) / lags.length : 0;
      const max = lags.length ? Math.max(...lags) : 0;
      lags = [];
      return {
        cpuPercent: round(cpuPercent),
        loopLagMs: { mean: round(mean, 2), max: round(max, 2) },
      };
    },
    stop: () => clearInterval(probe),
  };
}

/**
 * The dashboard's routes: `GET /` (the page) and `GET /dashboard/events`.
 * `extra` adds figures from the other examples (the hub's stats, log lines);
 * `everyMs` is how often figures are taken and sent.
 */
export function createDashboardApp(
  extra: () => Pick<Metrics, 'hub' | 'logLines'> = () => ({}),
  everyMs = 1000,
) {
  const sampler = createSampler();
  const samples: Metrics[] = []; // the last minute or so, for a chart that starts full

  // One sample per interval for the whole process; every stream sends the latest.
  function measure(): void {
    const { rss, heapUsed } = process.memoryUsage();
    samples.push({
      at: Date.now(),
      uptimeS: Math.round(process.uptime()),
      rssMB: round(rss / MB),
      heapMB: round(heapUsed / MB),
      ...sampler.sample(),
      streams: openStreamCount(),
      ...extra(),
    });
    if (samples.length > 60) samples.shift();
  }
  measure();
  const timer = setInterval(measure, everyMs);

  const routes: Routes = (request, url) => {
    if (url.pathname === '/') return page(new URL('./page.html', import.meta.url));
    if (url.pathname !== '/dashboard/events') return undefined;
    return sseResponse(
      async function* ({ signal }) {
        yield { event: 'history', data: samples.slice(0, -1) }; // the chart starts full
        // The dashboard pattern: a snapshot at once, then a fresh one every second.
        yield* every(everyMs, () => ({ event: 'metrics', data: samples.at(-1) }), { signal });
      },
      { request, retry: 1500 },
    );
  };

  return {
    routes,
    close() {
      clearInterval(timer);
      sampler.stop();
    },
  };
}
