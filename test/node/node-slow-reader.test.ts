/// <reference types="node" />
/**
 * `writeTimeout` cuts a client that takes nothing, never one that takes
 * bytes as fast as the server can see it. What the server sees moves in
 * steps: on HTTP/1.1 the kernel wakes a writer once a third of the socket's
 * send buffer has gone (on loopback, about 1.4 MiB), on HTTP/2 when the
 * client opens its window (Node's client: 64 KiB at a time). One write
 * larger than that (a multi-MiB event) is taken over many steps: the client
 * is moving though the write has not completed. Both paths, real sockets.
 */
import { createServer as createHttpServer } from 'node:http';
import {
  type ClientHttp2Stream,
  connect as connectHttp2,
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import {
  type NodeRequest,
  type NodeResponse,
  toNodeHandler,
} from '../../adapters/runtimes/node/index.ts';
import { type CloseReason, type SSESource, sseResponse } from '../../src/index.ts';

const WRITE_TIMEOUT = 1_000;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

type Path = 'direct' | 'body';
type Version = 'HTTP/1.1' | 'HTTP/2';

/**
 * A server of one stream from `source`, on `path`: the response as
 * `sseResponse` made it, or rebuilt so that it takes the body path.
 */
async function server(version: Version, path: Path, source: SSESource) {
  const closes: { reason: CloseReason; at: number }[] = [];
  let responded!: (res: NodeResponse) => void;
  const response = new Promise<NodeResponse>((r) => (responded = r));
  const handler = toNodeHandler(
    (request) => {
      const made = sseResponse(source, {
        request,
        heartbeat: false,
        onClose: ({ reason }) => closes.push({ reason, at: performance.now() }),
      });
      return path === 'direct' ? made : new Response(made.body, made);
    },
    { writeTimeout: WRITE_TIMEOUT },
  );
  const listener = (req: NodeRequest, res: NodeResponse) => {
    responded(res);
    return handler(req, res);
  };
  const node =
    version === 'HTTP/2'
      ? createHttp2Server(listener as (req: Http2ServerRequest, res: Http2ServerResponse) => void)
      : createHttpServer(listener);
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => node.close());
  const { port } = node.address() as AddressInfo;
  return { port, closes, response };
}

/** A client that reads `rate` bytes a second (Infinity: all there is), in 50 ms steps. */
function reader(version: Version, port: number) {
  let stream: Socket | ClientHttp2Stream;
  if (version === 'HTTP/2') {
    const session = connectHttp2(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    cleanups.push(() => session.destroy());
    stream = session.request({ ':path': '/', accept: 'text/event-stream' });
  } else {
    stream = connect(port, '127.0.0.1');
    stream.write('GET / HTTP/1.1\r\nhost: test\r\naccept: text/event-stream\r\n\r\n');
  }
  stream.on('error', () => {});
  // Flowing, paused whenever this step's budget is spent: a socket read
  // takes up to 64 KiB at a time, whatever is asked.
  const state = { read: 0, rate: 0, closed: false, startedAt: performance.now() };
  let budget = 0;
  stream.on('data', (chunk: Buffer) => {
    state.read += chunk.length;
    budget -= chunk.length;
    if (budget <= 0) stream.pause();
  });
  stream.pause();
  stream.once('close', () => (state.closed = true));
  const timer = setInterval(() => {
    if (!state.rate) return;
    budget = Math.min(budget, 0) + state.rate / 20;
    if (budget > 0) stream.resume();
  }, 50);
  cleanups.push(() => {
    clearInterval(timer);
    stream.destroy();
  });
  return state;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Until the client's stream is aborted: what an open event stream does. */
const openUntilAbort = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));

const MiB = 1024 * 1024;
const matrix: [Version, Path][] = [
  ['HTTP/1.1', 'direct'],
  ['HTTP/1.1', 'body'],
  ['HTTP/2', 'direct'],
  ['HTTP/2', 'body'],
];

describe.each(matrix)('%s, %s path', (version, path) => {
  test('a client that reads nothing is cut within writeTimeout plus a second', async () => {
    const data = 'x'.repeat(16 * 1024);
    const { port, closes } = await server(version, path, async function* () {
      for (;;) yield { data };
    });
    const client = reader(version, port); // rate 0: reads nothing, ever
    await sleep(WRITE_TIMEOUT + 1_500);
    expect(closes.map(({ reason }) => reason)).toEqual(['timeout']);
    const after = closes[0]!.at - client.startedAt;
    expect(after).toBeGreaterThanOrEqual(WRITE_TIMEOUT);
    expect(after).toBeLessThan(WRITE_TIMEOUT + 1_000);
  });

  test('a client that reads small events slowly is not cut', async () => {
    const data = 'x'.repeat(100);
    const { port, closes } = await server(version, path, async function* () {
      for (;;) yield { data };
    });
    const client = reader(version, port);
    // Each step the server can see comes well within writeTimeout.
    client.rate = version === 'HTTP/2' ? 512 * 1024 : 8 * MiB;
    await sleep(2.5 * WRITE_TIMEOUT);
    expect(closes).toEqual([]);
    expect(client.closed).toBe(false);
    expect(client.read).toBeGreaterThan(version === 'HTTP/2' ? 512 * 1024 : 8 * MiB);
  });
});

describe.each(matrix)('%s, %s path: a source faster than its client', (version, path) => {
  test('a client reading 1 KiB/s of a 2 KiB/s stream stays for twice writeTimeout', async () => {
    // The buffers on the way hold what it has not read yet: nothing waits
    // in Node, so nothing is timed, however slow the client.
    const data = 'x'.repeat(190);
    const { port, closes } = await server(version, path, async function* ({ sleep }) {
      while (await sleep(100)) yield { data };
    });
    const client = reader(version, port);
    client.rate = 1024;
    await sleep(2.5 * WRITE_TIMEOUT);
    expect(closes).toEqual([]);
    expect(client.closed).toBe(false);
    expect(client.read).toBeGreaterThan(1024);
  });
});

describe.each(matrix.filter(([version]) => version === 'HTTP/1.1'))(
  '%s, %s path: one write longer than writeTimeout',
  (version, path) => {
    test('a client that takes a 32 MiB event at 4 MiB/s keeps its stream, and gets all of it', async () => {
      const data = 'x'.repeat(32 * MiB);
      const { port, closes, response } = await server(version, path, async function* ({ signal }) {
        yield { data };
        await openUntilAbort(signal);
      });
      const client = reader(version, port);
      client.rate = 4 * MiB;
      await sleep(2.5 * WRITE_TIMEOUT);
      expect(closes).toEqual([]);
      expect(client.closed).toBe(false);
      // Still inside the one write (Node holds most of the event), yet moving.
      expect((await response).writableLength).toBeGreaterThan(8 * MiB);
      client.rate = Number.POSITIVE_INFINITY;
      const deadline = performance.now() + 10_000;
      while (client.read < 32 * MiB && performance.now() < deadline) await sleep(50);
      expect(client.read).toBeGreaterThan(32 * MiB);
      expect(closes).toEqual([]);
    }, 20_000);
  },
);
