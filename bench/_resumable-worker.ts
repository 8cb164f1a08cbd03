// A process of the resumable-stream benchmark: the producer (starts streams
// and writes chunks on a schedule), the follower (resumes them and reads), or
// both (when the store lives in one process's memory). The parent drives it
// over IPC: each { op } gets one reply { op, ... }.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type ContenderName, makeSide, type Side, type Written } from './_resumable-contenders.ts';
import { answer, type Handlers } from './_resumable-process.ts';

// The machine's monotonic clock (the same in every process), in ms; not
// performance.now(), which drifts from it by milliseconds.
const now = () => Number(process.hrtime.bigint()) / 1e6;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One chunk, as an AI SDK's UI message stream carries a token; `n` counts, `t` is the write time in µs. */
const payload = (n: number) =>
  `{"type":"text-delta","id":"0","delta":" lorem","n":${n},"t":${Math.round(now() * 1000)}}`;
const STAMP = /"n":(\d+),"t":(\d+)/g;

interface Followed {
  seen: Set<number>;
  duplicates: number;
  closed: boolean;
  error?: string;
  closedAt?: number;
  /** How the stream said it ended, when it says so (ssekit's end message). */
  ending?: string;
}

let side: Side;
const written = new Map<string, Written>();
const counts = new Map<string, number>();
const followed = new Map<string, Followed>();
let writes = 0;
let reads = 0;
let latencies: number[] = [];
let cpuMark = process.cpuUsage();
let marks = { writes: 0, reads: 0 };
let ticker: NodeJS.Timeout | undefined;
let closing = false;
// How late this process's event loop runs: a process short of CPU shows here.
const lag = monitorEventLoopDelay({ resolution: 5 });

function memory() {
  gc();
  gc();
  const { heapUsed, external, rss } = process.memoryUsage();
  return { heap: heapUsed + external, rss };
}

function writeTo(id: string) {
  const n = (counts.get(id) ?? 0) + 1;
  counts.set(id, n);
  written.get(id)!.write(payload(n));
  writes++;
}

// Every stream gets `rate` chunks a second, spread evenly over the period:
// chunk k of the schedule goes to stream k mod N, written when it is due.
function tick(ids: string[], rate: number, perStream: number | undefined, done: () => void) {
  const start = now();
  let sent = 0;
  const total = perStream === undefined ? Infinity : perStream * ids.length;
  const step = () => {
    const due = Math.min(total, Math.floor(((now() - start) * ids.length * rate) / 1000));
    for (; sent < due; sent++) writeTo(ids[sent % ids.length]!);
    if (sent >= total) return done();
    ticker = setTimeout(step, 1);
  };
  step();
}

async function follow(id: string) {
  const state: Followed = { seen: new Set(), duplicates: 0, closed: false };
  followed.set(id, state);
  const stream = await side.resume(id);
  if (!stream) {
    state.closed = true;
    state.closedAt = now();
    return { state, read: Promise.resolve() };
  }
  const read = (async () => {
    const decoder = new TextDecoder();
    let rest = '';
    try {
      for await (const chunk of stream as unknown as AsyncIterable<Uint8Array | string>) {
        const at = now();
        const text =
          rest + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
        const cut = text.lastIndexOf('\n\n') + 2;
        rest = text.slice(cut);
        const events = text.slice(0, cut);
        if (events.includes('event: end'))
          state.ending = events.match(/event: end\ndata: (.*)/)?.[1];
        for (const match of events.matchAll(STAMP)) {
          const n = Number(match[1]);
          if (state.seen.has(n)) state.duplicates++;
          else state.seen.add(n);
          latencies.push(at - Number(match[2]) / 1000);
          reads++;
        }
      }
    } catch (error) {
      state.error = String((error as Error)?.message ?? error);
    }
    state.closed = true;
    state.closedAt = now();
  })();
  return { state, read };
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;

const handlers: Handlers = {
  async init({ contender, url, role }) {
    side = await makeSide(contender as ContenderName, url, role);
    return {};
  },
  async memory() {
    return memory();
  },
  async start({ ids }) {
    for (let at = 0; at < ids.length; at += 50) {
      const batch: string[] = ids.slice(at, at + 50);
      await Promise.all(batch.map(async (id) => written.set(id, await side.start(id))));
    }
    return {};
  },
  async follow({ ids }) {
    for (let at = 0; at < ids.length; at += 50)
      await Promise.all((ids as string[]).slice(at, at + 50).map(follow));
    return {};
  },
  async tick({ ids, rate, perStream }) {
    await new Promise<void>((resolve) => {
      tick(ids, rate, perStream, resolve);
      if (perStream === undefined) resolve();
    });
    return {};
  },
  async fill({ id, count }) {
    for (let n = 0; n < count; n++) writeTo(id);
    return {};
  },
  async forget() {
    written.clear();
    counts.clear();
    followed.clear();
    return {};
  },
  async mark() {
    cpuMark = process.cpuUsage();
    marks = { writes, reads };
    latencies = [];
    lag.reset();
    lag.enable();
    return {};
  },
  async measure() {
    const cpu = process.cpuUsage(cpuMark);
    const sorted = latencies.sort((a, b) => a - b);
    const figures = {
      cpu: cpu.user + cpu.system,
      writes: writes - marks.writes,
      reads: reads - marks.reads,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.at(-1) ?? NaN,
      bytesPerStream: 0,
      lagP99: lag.percentile(99) / 1e6,
    };
    lag.disable();
    const chunks = [...counts.values()];
    if (chunks.length)
      figures.bytesPerStream =
        (chunks.reduce((a, b) => a + b, 0) / chunks.length) * payload(1).length;
    latencies = [];
    return { ...figures, ...memory() };
  },
  async end() {
    clearTimeout(ticker);
    for (const stream of written.values()) stream.end();
    return {};
  },
  async tally({ wait, chunks, since }) {
    const deadline = now() + wait;
    while (now() < deadline && [...followed.values()].some((s) => !s.closed)) await settle(50);
    const all = [...followed.values()];
    const highest = (seen: Set<number>) => {
      let most = 0;
      for (const n of seen) if (n > most) most = n;
      return most;
    };
    const lostOf = (s: Followed) => (chunks ?? highest(s.seen)) - s.seen.size;
    return {
      streams: all.length,
      closed: all.filter((s) => s.closed && !s.error).length,
      errored: all.filter((s) => s.error).length,
      errors: [...new Set(all.flatMap((s) => (s.error ? [s.error] : [])))],
      endings: [...new Set(all.flatMap((s) => (s.ending ? [s.ending] : [])))],
      hung: all.filter((s) => !s.closed).length,
      lossy: all.filter((s) => lostOf(s) > 0).length,
      lost: all.reduce((sum, s) => sum + lostOf(s), 0),
      duplicates: all.reduce((sum, s) => sum + s.duplicates, 0),
      closeMs:
        since === undefined
          ? undefined
          : Math.max(0, ...all.map((s) => (s.closedAt ?? since) - since)),
    };
  },
  // Time from the resume to its first byte, `times` times, after one full read.
  async firstByte({ id, times, expect }) {
    const { state, read } = await follow(id);
    while (state.seen.size < expect && !state.closed) await settle(10);
    const full = state.seen.size;
    followed.clear();
    void read;
    const samples: number[] = [];
    for (let round = 0; round < times; round++) {
      const start = now();
      const stream = await side.resume(id);
      const reader = stream!.getReader();
      await reader.read();
      samples.push(now() - start);
      await reader.cancel();
      await settle(20);
    }
    return { full, samples };
  },
  // One resume read to its end (or `wait` ms): what a client gets.
  async resumeOnce({ id, wait }) {
    followed.clear();
    const start = now();
    let outcome: string;
    try {
      const { state } = await follow(id);
      while (!state.closed && now() - start < wait) await settle(20);
      outcome = state.error
        ? `error: ${state.error}`
        : state.closed
          ? `closed${state.ending ? ` (end: ${state.ending})` : ''}`
          : 'still open';
      return { outcome, chunks: state.seen.size, ms: now() - start };
    } catch (error) {
      return { outcome: `threw: ${(error as Error).message}`, chunks: 0, ms: now() - start };
    }
  },
  async close() {
    closing = true;
    clearTimeout(ticker);
    await side?.close();
    setTimeout(() => process.exit(0), 50); // after the reply; --cpu-prof writes its profile at exit
    return {};
  },
};

export function runWorker() {
  // Commands still queued when the connections close reject: expected then.
  process.on('unhandledRejection', (error) => {
    if (closing) return;
    console.error(error);
    process.exit(1);
  });
  answer(handlers);
}
