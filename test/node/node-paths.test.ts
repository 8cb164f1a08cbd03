/// <reference types="node" />
/**
 * The invariants of an event stream through `toNodeHandler`, asserted once on
 * the direct path (the engine writes into the socket, the body is never read)
 * and once on the body path (a response rebuilt by a middleware, which the
 * adapter reads as any other body). Clients are raw sockets, so a test can
 * stop reading as a stalled client does.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { type FetchHandler, toNodeHandler } from '../../adapters/runtimes/node/index.ts';
import { createHub } from '../../src/hub/index.ts';
import { type CloseInfo, createEventStream, sleep, sseResponse } from '../../src/index.ts';

type Path = 'direct' | 'body';
const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

/** Serves `handler` on `path`; counts the writes into each response and whether bodies were read. */
async function serve(handler: FetchHandler, path: Path) {
  const responses: Response[] = [];
  const writes: number[] = [];
  const listener = toNodeHandler(async (request) => {
    const response = await handler(request);
    responses.push(response);
    // A middleware that rebuilds the response: the adapter cannot go direct.
    return path === 'body' ? new Response(response.body, response) : response;
  });
  const server = createServer((req, res: ServerResponse) => {
    const index = writes.push(0) - 1;
    const write = res.write.bind(res) as (chunk: Uint8Array) => boolean;
    res.write = ((chunk: Uint8Array) => {
      writes[index]!++;
      return write(chunk);
    }) as typeof res.write;
    listener(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, responses, writes };
}

/** A raw client: what it received, and control over reading. */
function client(port: number, path = '/', headers: Record<string, string> = {}, keep = Infinity) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let text = '';
  // `keep`: only the last characters are kept, for a client that reads megabytes.
  socket.setEncoding('utf8').on('data', (chunk) => {
    text += chunk;
    if (text.length > keep) text = text.slice(-keep);
  });
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n${lines.join('')}\r\n`);
  return {
    socket,
    received: () => text,
    async until(done: (text: string) => boolean, ms = 2000) {
      const deadline = Date.now() + ms;
      while (!done(text)) {
        if (Date.now() > deadline) throw new Error(`timed out; received:\n${text}`);
        await sleep(5);
      }
    },
  };
}

const closed = () => {
  let resolve!: (info: CloseInfo) => void;
  const promise = new Promise<CloseInfo>((r) => (resolve = r));
  return { onClose: resolve, promise };
};

describe.each<Path>(['direct', 'body'])('toNodeHandler, %s path', (path) => {
  test('the first byte leaves at once; the body is read only on the body path', async () => {
    const { port, responses } = await serve(
      (request) =>
        sseResponse(
          // biome-ignore lint/correctness/useYield: a source that never yields is the point
          async function* ({ signal }) {
            await sleep(60_000, signal);
          },
          { request },
        ),
      path,
    );
    const c = client(port);
    await c.until(
      (text) => text.endsWith('\r\n\r\n:\n\n') || /\r\n\r\n[0-9a-f]+\r\n:\n\n/.test(text),
    );
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(responses[0]!.body!.locked).toBe(path === 'body');
  });

  test('a client that stops reading stops the source; one that leaves ends it once', async () => {
    let pulled = 0;
    let cleaned = 0;
    const { onClose, promise } = closed();
    const { port } = await serve(
      (request) =>
        sseResponse(
          function* () {
            try {
              for (;;) {
                pulled++;
                yield { data: 'x'.repeat(1000) };
              }
            } finally {
              cleaned++;
            }
          },
          { request, onClose },
        ),
      path,
    );
    const c = client(port);
    c.socket.pause(); // reads nothing from here on
    await sleep(300);
    const stalled = pulled;
    await sleep(200);
    expect(pulled).toBe(stalled); // the socket is full: nothing more is read from the source
    expect(pulled).toBeLessThan(20_000); // bounded by the socket buffers, about a few MiB
    c.socket.destroy();
    expect(await promise).toEqual({ reason: 'disconnect' });
    expect(cleaned).toBe(1);
  });

  test('a heartbeat comes after idleness only, never while events flow', async () => {
    const { port } = await serve(
      (request) =>
        sseResponse(
          async function* ({ signal }) {
            for (let n = 0; n < 10; n++) {
              yield { data: n };
              await sleep(20, signal);
            }
            await sleep(60_000, signal);
          },
          { request, heartbeat: 100 },
        ),
      path,
    );
    const c = client(port);
    await c.until((text) => text.includes('data: 9\n\n'));
    const flowing = c.received().slice(c.received().indexOf(':\n\n') + 3);
    expect(flowing).not.toContain(':\n\n'); // only the preamble comment so far
    await c.until((text) => text.split(':\n\n').length >= 3, 1000); // idle: heartbeats
  });

  test("a push writer's overflow cuts the stalled client at once", async () => {
    const { onClose, promise } = closed();
    let writer!: ReturnType<typeof createEventStream>['writer'];
    const { port } = await serve((request) => {
      const stream = createEventStream({ request, maxQueuedBytes: 64 * 1024, onClose });
      writer = stream.writer;
      return stream.response;
    }, path);
    const c = client(port);
    c.socket.pause();
    await sleep(50);
    const chunk = 'y'.repeat(16 * 1024);
    for (let n = 0; n < 10_000 && !writer.signal.aborted; n++) {
      writer.data(chunk);
      if (n % 64 === 0) await sleep(1);
    }
    expect(await promise).toEqual({ reason: 'overflow' });
    await new Promise((resolve) => c.socket.once('close', resolve).resume());
  });

  test('a hub subscriber past its bounds is disconnected; the others get every message', async () => {
    const hub = createHub({ maxQueued: 8, overflow: 'disconnect' });
    const { port } = await serve(
      (request) => sseResponse((ctx) => hub.subscribe('t', ctx), { request, heartbeat: false }),
      path,
    );
    const stalled = client(port);
    const reading = client(port, '/', {}, 4096);
    await stalled.until((text) => text.includes(':\n\n'));
    await reading.until((text) => text.includes(':\n\n'));
    while (hub.stats().subscribers < 2) await sleep(5);
    stalled.socket.pause();
    // Until the stalled socket's kernel buffers (several MiB on loopback) and
    // then its queue of 8 are full: at most 128 MiB.
    const big = 'z'.repeat(32 * 1024);
    for (let n = 0; n < 4000 && hub.stats().subscribers === 2; n++) {
      await hub.publish('t', { data: big });
      await sleep(1); // a pace the reading client keeps up with: only the stalled one overflows
    }
    expect(hub.stats().subscribers).toBe(1);
    expect(hub.stats().disconnected).toBe(1);
    const id = await hub.publish('t', 'last');
    await reading.until((text) => text.includes(`id: ${id}\ndata: last\n\n`), 5000);
  });

  test('what is ready together leaves in one write: a replay of 50 messages', async () => {
    const hub = createHub();
    let first = '';
    for (let n = 0; n < 51; n++) {
      const id = await hub.publish('t', `m${n}`);
      if (n === 0) first = id;
    }
    const { port, writes } = await serve(
      (request) => sseResponse((ctx) => hub.subscribe('t', ctx), { request, heartbeat: false }),
      path,
    );
    const c = client(port, '/', { 'last-event-id': first });
    await c.until((text) => text.includes('data: m50\n\n'));
    expect(c.received()).not.toContain('data: m0\n');
    expect(c.received().match(/data: m\d+\n\n/g)).toHaveLength(50);
    // The preamble, then the whole replay at once.
    expect(writes[0]).toBe(2);
  });
});

describe.each<Path>(['direct', 'body'])(
  'a client that leaves before the response (%s path)',
  (path) => {
    test('ends the stream once, and the handler promise settles', async () => {
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const { onClose, promise } = closed();
      const settled: Promise<void>[] = [];
      const listener = toNodeHandler(async (request) => {
        await gate; // an auth check, say, while the client leaves
        const response = sseResponse(
          // biome-ignore lint/correctness/useYield: a source that never yields is the point
          async function* ({ signal }) {
            await sleep(60_000, signal);
          },
          { request, onClose, heartbeat: 50 },
        );
        return path === 'body' ? new Response(response.body, response) : response;
      });
      const server = createServer((req, res) => void settled.push(listener(req, res)));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const c = client((server.address() as AddressInfo).port);
      while (settled.length === 0) await sleep(5);
      c.socket.destroy();
      await sleep(50);
      open();
      expect(await promise).toEqual({ reason: 'disconnect' });
      await settled[0];
    });
  },
);

test("a stream made with the adapter's request but never returned still ends when its client leaves", async () => {
  const { onClose, promise } = closed();
  const { port } = await serve((request) => {
    createEventStream({ request, onClose }); // kept aside, another response sent
    return new Response(
      new ReadableStream({ start: (controller) => controller.enqueue(new Uint8Array([111, 107])) }),
    );
  }, 'direct');
  const c = client(port);
  await c.until((text) => text.includes('ok'));
  c.socket.destroy();
  expect(await promise).toEqual({ reason: 'disconnect' });
});
