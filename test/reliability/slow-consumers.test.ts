import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect as connectSocket, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { toNodeHandler } from '../../adapters/runtimes/node/index.ts';
import { connect } from '../../src/client/index.ts';
import { createHub, createMemoryLog } from '../../src/hub/index.ts';
import { sseResponse } from '../../src/index.ts';
import { FULL, MB, record, scale, sequenceFaults, until } from './scenario-helpers.ts';

// Slow consumers: some clients stop reading while the hub publishes. Their
// queues are bounded, so server memory stays flat whatever they do; the
// overflow policy ('disconnect') ends their subscriptions (they would resume
// with Last-Event-ID); the fast clients meanwhile get every message in order.
const MESSAGES = scale(20_000, 100_000);
const SLOW = scale(20, 100);
const FAST = scale(3, 5);
const STALL_MS = scale(2_000, 60_000); // at least this long, and until publishing is done
const MAX_QUEUED_BYTES = 256 * 1024;
const LOG_ENTRIES = 2_000;
const padding = 'p'.repeat(1000);
// Retained: the log (2,000 × 1 KB) and the slow queues (SLOW × 256 KB) at
// most, plus parsers and sockets. Unbounded queues would hold
// MESSAGES × 1 KB × SLOW: 400 MB at CI scale, 10 GB at full.
const MEMORY_BOUND = 2 * MB + SLOW * (MAX_QUEUED_BYTES + 64 * 1024) + 24 * MB;

const hub = createHub({
  log: createMemoryLog({ maxEntries: LOG_ENTRIES }),
  maxQueued: 500,
  maxQueuedBytes: MAX_QUEUED_BYTES,
  overflow: 'disconnect',
});
let server: Server;
let port = 0;

beforeAll(async () => {
  const app = (request: Request) =>
    sseResponse((ctx) => hub.subscribe('feed', ctx), { request, heartbeat: false });
  server = createServer(toNodeHandler(app));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await hub.close({ grace: 0 });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A raw client that reads the headers, then stops reading until `resume()`. */
function slowClient() {
  const socket: Socket = connectSocket(port, '127.0.0.1');
  let bytes = 0;
  let ended = false;
  socket.on('error', () => {});
  socket.write('GET /feed HTTP/1.1\r\nhost: localhost\r\n\r\n');
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (chunk.includes('0\r\n\r\n')) ended = true; // the chunked body's end: the server closed it
    if (bytes === chunk.length) socket.pause();
  });
  socket.once('end', () => (ended = true));
  return {
    resume: () => socket.resume(),
    get ended() {
      return ended;
    },
    get bytes() {
      return bytes;
    },
    destroy: () => socket.destroy(),
  };
}

test(
  `${SLOW} clients stop reading while ${MESSAGES} messages are published: bounded memory, the policy applied, fast clients get everything`,
  async () => {
    const slow = Array.from({ length: SLOW }, slowClient);
    const stop = new AbortController();
    const fast = Array.from({ length: FAST }, () => {
      const received: number[] = [];
      const done = (async () => {
        const events = connect(`http://127.0.0.1:${port}/feed`, { signal: stop.signal });
        for await (const { data } of events) {
          received.push(Number(data.slice(0, data.indexOf(' '))));
          if (received.length === MESSAGES) break;
        }
      })();
      return { received, done };
    });
    await until(() => hub.stats().subscribers === SLOW + FAST, 30_000, 'every client to subscribe');

    // Sampled after a collection: what is retained, not garbage awaiting GC.
    const gc = (globalThis as { gc?: () => void }).gc!;
    gc();
    let peak = 0;
    const baseline = process.memoryUsage();
    const sampler = setInterval(() => {
      gc();
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      peak = Math.max(peak, heapUsed + arrayBuffers - baseline.heapUsed - baseline.arrayBuffers);
    }, 250);
    const stalledAt = Date.now();
    // Paced by the fast clients, at most 150 messages ahead of the slowest of
    // them: a loaded machine slows the run, it does not make fast clients slow.
    for (let n = 1; n <= MESSAGES; n++) {
      if (n % 50 === 0) {
        const behind = () => n - Math.min(...fast.map((client) => client.received.length)) > 150;
        while (behind()) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await hub.publish('feed', `${n} ${padding}`);
    }
    await Promise.all(fast.map((client) => client.done));
    const publishedMs = Date.now() - stalledAt;
    const stalled = Math.max(0, STALL_MS - publishedMs);
    await new Promise((resolve) => setTimeout(resolve, stalled));
    clearInterval(sampler);
    for (const client of slow) client.resume();
    await until(() => slow.every((client) => client.ended), 30_000, 'slow streams to end');
    stop.abort();

    const stats = hub.stats();
    const faults = fast.map((client) => sequenceFaults(client.received, MESSAGES));
    for (const fault of faults) expect(fault).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0 });
    // Every slow subscription was ended by the policy, none of the fast ones.
    expect(stats.disconnected).toBe(SLOW);
    const slowBytes = slow.map((client) => client.bytes);
    // Each slow client got a bounded head of the stream: kernel buffers and
    // its queue, never all MESSAGES.
    expect(Math.max(...slowBytes)).toBeLessThan((MESSAGES * padding.length) / 2);
    expect(peak).toBeLessThan(MEMORY_BOUND);
    for (const client of slow) client.destroy();

    record('slow consumers', {
      messages: MESSAGES,
      slowClients: SLOW,
      fastClients: FAST,
      stalledSeconds: Math.round((Date.now() - stalledAt) / 1000),
      fullScaleStall: FULL,
      policy: 'disconnect',
      slowEndedByPolicy: stats.disconnected,
      fastLost: faults.reduce((sum, f) => sum + f.lost, 0),
      fastDuplicated: faults.reduce((sum, f) => sum + f.duplicated, 0),
      maxSlowClientMB: +(Math.max(...slowBytes) / MB).toFixed(2),
      peakMemoryGrowthMB: +(peak / MB).toFixed(1),
      memoryBoundMB: MEMORY_BOUND / MB,
      perSubscriberQueueBound: `500 messages / ${MAX_QUEUED_BYTES / 1024} KB`,
    });
  },
  scale(150_000, 900_000),
);
