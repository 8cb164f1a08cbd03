import { getEventListeners, setMaxListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { toNodeHandler } from '../../adapters/runtimes/node/index.ts';
import { createHub } from '../../src/hub/index.ts';
import { type CloseReason, createEventStream, sleep, sseResponse } from '../../src/index.ts';
import { bundle, MB, record, scale, settledMemory, start, until } from './scenario-helpers.ts';

// Disconnect storm: thousands of raw-socket clients (another process) vanish
// at random points against generators, push writers and hub subscriptions.
// Every stream must be closed exactly once, with its `finally` run once, and
// nothing may stay behind: no timer, no abort listener, no socket, no
// subscriber, and no heap growth beyond a fixed bound.
const CLIENTS = scale(1_500, 10_000);
const CONCURRENCY = scale(150, 1_000); // each side holds this many sockets: far under `ulimit -n` (20000 here)
const HEAP_BOUND = 24 * MB;
const payload = 'x'.repeat(4096);
// Push writers write faster than any client reads: a stalled client fills the
// kernel buffers within a second and then the writer's own bounded queue.
const burst = 'y'.repeat(32 * 1024);

const shutdown = new AbortController();
// toNodeHandler listens to this signal once per open request: not a leak, so no warning.
setMaxListeners(0, shutdown.signal);
const hub = createHub({ maxQueued: 64 });
let server: Server;
let url = '';
let clients = '';
let publisher: ReturnType<typeof setInterval> | undefined;
let streamId = 0;
// Per stream: how many times its finally (or its writer's `closed`) and onClose ran.
const finallies = new Map<number, number>();
const closes = new Map<number, number>();
const reasons: Record<string, number> = {};

function onClose(id: number) {
  return ({ reason }: { reason: CloseReason }) => {
    closes.set(id, (closes.get(id) ?? 0) + 1);
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  };
}
const ran = (id: number) => finallies.set(id, (finallies.get(id) ?? 0) + 1);

function app(request: Request): Response {
  const id = ++streamId;
  const common = { request, signal: shutdown.signal, onClose: onClose(id) };
  const route = new URL(request.url).pathname;
  if (route === '/generator') {
    return sseResponse(async function* ({ signal }) {
      try {
        for (let n = 0; ; n++) {
          yield { id: n, data: payload };
          if (n % 8 === 7) await sleep(1, signal);
        }
      } finally {
        ran(id);
      }
    }, common);
  }
  if (route === '/push') {
    const { response, writer } = createEventStream({ ...common, maxQueuedBytes: 64 * 1024 });
    const timer = setInterval(() => writer.event('tick', burst), 2);
    writer.closed.then(() => {
      clearInterval(timer);
      ran(id);
    });
    return response;
  }
  return sseResponse(
    async function* (ctx) {
      try {
        yield* hub.subscribe('storm', ctx);
      } finally {
        ran(id);
      }
    },
    { ...common, heartbeat: 500 },
  );
}

beforeAll(async () => {
  clients = await bundle('test/reliability/disconnect-storm-clients.ts');
  server = createServer(toNodeHandler(app, { signal: shutdown.signal }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  clearInterval(publisher);
  await hub.close({ grace: 0 });
  await new Promise((resolve) => server.close(resolve));
});

async function storm(total: number, concurrency: number, seed: number) {
  const child = await start(clients, {}, [url, String(total), String(concurrency), String(seed)]);
  expect(await child.exited).toBe(0);
  return JSON.parse(child.lines.at(-1)!) as Record<string, number>;
}

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
const connections = () =>
  new Promise<number>((resolve) => server.getConnections((_, count) => resolve(count)));

test(
  `${CLIENTS} clients vanish abruptly: every stream closes once and nothing stays behind`,
  async () => {
    publisher = setInterval(() => void hub.publish('storm', { data: payload }), 5);
    // A warm-up storm first: the baseline then includes JIT code and pools.
    await storm(200, 50, 7);
    await until(() => hub.stats().subscribers === 0, 30_000, 'warm-up subscribers to end');
    const timersBefore = timers();
    const heapBefore = await settledMemory();
    const before = streamId;
    for (const reason in reasons) delete reasons[reason]; // the storm's own, not the warm-up's
    const hubOverflowsBefore = hub.stats().disconnected;

    const counts = await storm(CLIENTS, CONCURRENCY, 1);

    // Every request that reached the handler made a stream that must close.
    const opened = () => streamId - before;
    await until(() => closes.size === streamId, 60_000, 'every stream to close');
    await until(() => finallies.size === streamId, 60_000, "every stream's finally to run");
    await until(() => hub.stats().subscribers === 0, 30_000, 'every subscriber to end');
    clearInterval(publisher);
    await until(() => timers() <= timersBefore - 1, 10_000, 'timers to be cleared');
    // The last sockets close a moment after their streams: the kernel still
    // delivers resets and FINs of a storm's tail.
    let open = -1;
    for (let tries = 0; tries < 300 && open !== 0; tries++) {
      open = await connections();
      if (open) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(open).toBe(0);
    const heapAfter = await settledMemory();

    expect(opened()).toBeGreaterThan(CLIENTS * 0.7); // most clients lived long enough to ask
    expect([...closes.values()].every((count) => count === 1)).toBe(true);
    expect([...finallies.values()].every((count) => count === 1)).toBe(true);
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    expect(reasons.disconnect).toBeGreaterThan(0);
    // Backpressure was real: push writers behind stalled clients hit their bound.
    expect(reasons.overflow).toBeGreaterThan(0);
    // 'end': a hub subscription behind a stalled client ended by the hub's own
    // overflow policy (its queue holds 64 messages), so its generator returned.
    const expected = ['disconnect', 'overflow', 'end'];
    expect(Object.keys(reasons).filter((reason) => !expected.includes(reason))).toEqual([]);
    const hubOverflows = hub.stats().disconnected - hubOverflowsBefore;
    expect(reasons.end ?? 0).toBe(hubOverflows);
    const growth = heapAfter - heapBefore;
    expect(growth).toBeLessThan(HEAP_BOUND);

    record('disconnect storm', {
      clients: counts.clients,
      concurrency: CONCURRENCY,
      streamsOpened: opened(),
      faults: {
        beforeResponse: counts.beforeResponse,
        midStream: counts.midStream,
        duringBackpressure: counts.backpressure,
        tcpReset: counts.reset,
      },
      closeReasons: reasons,
      hubOverflows,
      closedTwice: 0,
      bytesReceived: counts.bytes,
      heapGrowthMB: +(growth / MB).toFixed(2),
      heapBoundMB: HEAP_BOUND / MB,
    });
  },
  scale(180_000, 900_000),
);
