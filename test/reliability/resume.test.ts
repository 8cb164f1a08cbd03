import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { toNodeHandler } from '../../adapters/runtimes/node/index.ts';
import { createHub, createMemoryLog } from '../../src/hub/index.ts';
import { sseResponse } from '../../src/index.ts';
import { chromiumAvailable, launchChromium } from '../system.ts';
import { follower, publishPaced, record, scale, sequenceFaults } from './scenario-helpers.ts';

// Lossless resume: the server cuts a random open stream every ~100 ms (a
// socket destroyed wherever its bytes are) while the hub publishes; readers
// resume with Last-Event-ID and must end with every message exactly once, in
// order. First ssekit's `connect`, then Chromium's native EventSource.
const MESSAGES = scale(20_000, 100_000);
const READERS = scale(4, 8);
const BROWSER_MESSAGES = scale(3_000, 20_000);

// The log keeps the whole run: every cursor stays replayable.
const hub = createHub({ log: createMemoryLog({ maxEntries: MESSAGES + BROWSER_MESSAGES }) });
const streams = new Set<Socket>();
let server: Server;
let base = '';
let cuts = 0;
const requests: Record<string, number> = {};

const page = (topic: string) => `<!doctype html><script>
  window.received = [];
  const source = new EventSource('/events?topic=${topic}');
  source.onmessage = (event) => window.received.push(Number(event.data));
</script>`;

function app(request: Request): Response {
  const url = new URL(request.url);
  const topic = url.searchParams.get('topic') ?? 'feed';
  if (url.pathname === '/page') {
    return new Response(page(topic), { headers: { 'content-type': 'text/html' } });
  }
  requests[topic] = (requests[topic] ?? 0) + 1;
  return sseResponse((ctx) => hub.subscribe(topic, ctx), { request, retry: 20, heartbeat: false });
}

beforeAll(async () => {
  const handle = toNodeHandler(app);
  server = createServer((req, res) => {
    if (req.url?.startsWith('/events')) {
      streams.add(req.socket);
      req.socket.once('close', () => streams.delete(req.socket));
    }
    return handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await hub.close({ grace: 0 });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Destroys one random open stream every 50–150 ms until stopped. */
function cutter() {
  let timer: ReturnType<typeof setTimeout>;
  const tick = () => {
    const open = [...streams];
    const victim = open[Math.floor(Math.random() * open.length)];
    if (victim) {
      victim.destroy();
      cuts++;
    }
    timer = setTimeout(tick, 50 + Math.random() * 100);
  };
  timer = setTimeout(tick, 100);
  return () => clearTimeout(timer);
}

test(
  `connect: ${READERS} readers, ${MESSAGES} messages, a stream cut every ~100 ms: each message once, in order`,
  async () => {
    const stop = new AbortController();
    const readers = Array.from({ length: READERS }, () =>
      follower(() => `${base}/events?topic=connect`, MESSAGES, stop.signal),
    );
    while (hub.stats().topics.connect !== READERS) await new Promise((r) => setTimeout(r, 10));
    cuts = 0;
    const stopCutting = cutter();
    const started = Date.now();
    await publishPaced(MESSAGES, (n) => hub.publish('connect', String(n)), readers, {
      lag: 2_000,
      perSecond: scale(4_000, 2_000),
    });
    await Promise.all(readers.map((reader) => reader.done));
    stopCutting();
    stop.abort();

    const faults = readers.map((reader) => sequenceFaults(reader.received, MESSAGES));
    for (const fault of faults) expect(fault).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0 });
    for (const reader of readers) expect(reader.resets).toBe(0);
    const reconnects = readers.reduce((sum, reader) => sum + reader.reconnects, 0);
    expect(cuts).toBeGreaterThan(10);
    expect(reconnects).toBeGreaterThan(10);
    record('lossless resume (connect)', {
      readers: READERS,
      messages: MESSAGES,
      seconds: Math.round((Date.now() - started) / 1000),
      connectionsCut: cuts,
      reconnects,
      lost: faults.reduce((sum, f) => sum + f.lost, 0),
      duplicated: faults.reduce((sum, f) => sum + f.duplicated, 0),
      outOfOrder: faults.reduce((sum, f) => sum + f.outOfOrder, 0),
    });
  },
  scale(120_000, 900_000),
);

const browserAvailable = chromiumAvailable('the EventSource resume test');
let browser: BrowserContext | undefined;
afterAll(() => browser?.close());

test.runIf(browserAvailable)(
  `Chromium's EventSource: ${BROWSER_MESSAGES} messages, a stream cut every ~100 ms: each once, in order`,
  async () => {
    browser = await launchChromium();
    const tab = await browser.newPage();
    await tab.goto(`${base}/page?topic=browser`);
    while (hub.stats().topics.browser !== 1) await new Promise((r) => setTimeout(r, 10));
    // The page's progress, polled: it paces the publisher like the other readers.
    const reader = { received: [] as number[] };
    let count = 0;
    const poll = async () => {
      count = await tab.evaluate(
        () => (window as unknown as { received: number[] }).received.length,
      );
      reader.received.length = count;
    };
    cuts = 0;
    const stopCutting = cutter();
    await publishPaced(
      BROWSER_MESSAGES,
      (n) => hub.publish('browser', String(n)),
      [reader],
      { lag: 500, perSecond: 1_000 },
      poll,
    );
    const deadline = Date.now() + 60_000;
    while (count < BROWSER_MESSAGES && Date.now() < deadline) {
      await poll();
      await new Promise((r) => setTimeout(r, 50));
    }
    stopCutting();
    const received = await tab.evaluate(
      () => (window as unknown as { received: number[] }).received,
    );
    const fault = sequenceFaults(received, BROWSER_MESSAGES);
    expect(fault).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(received).toHaveLength(BROWSER_MESSAGES);
    expect(cuts).toBeGreaterThan(10);
    // The page reconnected by itself after each cut, sending its Last-Event-ID.
    expect(requests.browser).toBeGreaterThan(10);
    record('lossless resume (Chromium EventSource)', {
      messages: BROWSER_MESSAGES,
      connectionsCut: cuts,
      reconnects: requests.browser! - 1,
      ...fault,
    });
  },
  scale(120_000, 900_000),
);
