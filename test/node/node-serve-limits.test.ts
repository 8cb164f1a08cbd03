/// <reference types="node" />
/**
 * What `serve` bounds before a handler runs: how long a request's headers
 * and body may take to arrive, and how many connections are open at once.
 * Real sockets against a real `node:http` server.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  type NodeServeOptions,
  type NodeServer,
  serve,
} from '../../adapters/runtimes/node/index.ts';
import { SSEOptionError, sseResponse } from '../../src/index.ts';

let running: NodeServer | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await running?.close();
  running = undefined;
  vi.restoreAllMocks();
});

/** An event stream that stays open (a heartbeat-free one, so nothing else moves). */
const events = (request: Request) =>
  sseResponse(
    ({ signal }) =>
      new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())),
    { request, heartbeat: false },
  );

async function start(options: NodeServeOptions = {}) {
  running = await serve(
    async (request) => {
      if (request.method === 'POST' && new URL(request.url).pathname === '/read') {
        return new Response(await request.text());
      }
      return events(request);
    },
    { hostname: '127.0.0.1', ...options },
  );
  return Number(new URL(running.url).port);
}

/** A raw connection: what it received, and when (ms after it opened) it closed. */
function open(port: number) {
  const socket = connect(port, '127.0.0.1');
  sockets.add(socket);
  const opened = performance.now();
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk) => (text += chunk));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - opened)),
  );
  return {
    socket,
    closed,
    get text() {
      return text;
    },
  };
}

/** Writes `bytes` one at a time, `every` ms apart, until the socket closes. */
function trickle(socket: Socket, bytes: string, every: number) {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= bytes.length) return clearInterval(timer);
    socket.write(bytes[at++]!);
  }, every);
  socket.once('close', () => clearInterval(timer));
}

/** Resolves with `promise`'s value, or `fallback` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([promise, new Promise<T>((resolve) => setTimeout(resolve, ms, fallback))]);
}

const HEAD = 'GET /events HTTP/1.1\r\nhost: test\r\naccept: text/event-stream\r\n\r\n';

describe('headersTimeout', () => {
  test('with the defaults, headers sent a byte at a time get a 408 within a few seconds', async () => {
    const port = await start();
    const slow = open(port);
    trickle(slow.socket, HEAD.repeat(100), 100);
    // 5 s, checked once a second: closed by 6 s, given 2 s more on a loaded machine.
    const closedAfter = await within(slow.closed, 8_000, Number.POSITIVE_INFINITY);
    expect(closedAfter).toBeGreaterThan(4_500);
    expect(closedAfter).toBeLessThan(8_000);
    expect(slow.text).toMatch(/^HTTP\/1\.1 408 /);
  }, 15_000);

  test('a shorter headersTimeout drops them sooner; a request that made it is served', async () => {
    const port = await start({ headersTimeout: 500 });
    const slow = open(port);
    trickle(slow.socket, HEAD, 100);
    const fine = open(port);
    fine.socket.write(HEAD);
    const closedAfter = await within(slow.closed, 3_000, Number.POSITIVE_INFINITY);
    expect(closedAfter).toBeLessThan(3_000);
    expect(slow.text).toMatch(/^HTTP\/1\.1 408 /);
    // The event stream that got its headers in time stays open well past it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(fine.socket.destroyed).toBe(false);
    expect(fine.text).toMatch(/^HTTP\/1\.1 200 [\s\S]*text\/event-stream[\s\S]*\r\n:\n\n\r\n$/);
  }, 10_000);
});

describe('requestTimeout', () => {
  const post = (length: number) =>
    `POST /read HTTP/1.1\r\nhost: test\r\ncontent-length: ${length}\r\n\r\n`;

  test('a body that takes longer than requestTimeout to arrive is dropped with a 408', async () => {
    // The handler was reading the body: it fails, and that is logged.
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const port = await start({ requestTimeout: 1_000 });
    const slow = open(port);
    slow.socket.write(post(1_000));
    trickle(slow.socket, 'x'.repeat(1_000), 100);
    const closedAfter = await within(slow.closed, 4_000, Number.POSITIVE_INFINITY);
    expect(closedAfter).toBeLessThan(4_000);
    expect(slow.text).toMatch(/^HTTP\/1\.1 408 /);
  }, 10_000);

  test('a body that arrives in time is read whole', async () => {
    const port = await start({ requestTimeout: 2_000 });
    const client = open(port);
    client.socket.write(post(10));
    trickle(client.socket, '0123456789', 50);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(client.text).toMatch(/^HTTP\/1\.1 200 [\s\S]*\r\n0123456789\r\n/);
  }, 10_000);

  test('an event stream is never cut by it, even while its request body is still unread', async () => {
    const port = await start({ requestTimeout: 500 });
    // A large body the handler never reads: Node stops reading the socket,
    // so the request stays incomplete while the stream runs.
    const client = open(port);
    client.socket.write('POST /events HTTP/1.1\r\nhost: test\r\ncontent-length: 4194304\r\n\r\n');
    client.socket.write(Buffer.alloc(4 * 1024 * 1024, 'x'));
    const plain = open(port);
    plain.socket.write(HEAD);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(client.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(client.socket.destroyed).toBe(false);
    expect(plain.socket.destroyed).toBe(false);
  }, 10_000);
});

describe('maxConnections', () => {
  test('a connection beyond the cap is closed at once; the open ones are served', async () => {
    const port = await start({ maxConnections: 2 });
    const first = open(port);
    const second = open(port);
    first.socket.write(HEAD);
    second.socket.write(HEAD);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const third = open(port);
    third.socket.write(HEAD);
    const closedAfter = await within(third.closed, 2_000, Number.POSITIVE_INFINITY);
    expect(closedAfter).toBeLessThan(1_000);
    expect(third.text).toBe('');
    expect([first.socket.destroyed, second.socket.destroyed]).toEqual([false, false]);
    expect(first.text).toMatch(/^HTTP\/1\.1 200 /);
    // One leaves: the next one gets in.
    first.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const fourth = open(port);
    fourth.socket.write(HEAD);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fourth.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(fourth.socket.destroyed).toBe(false);
  }, 10_000);
});

describe('options', () => {
  test.each([
    ['headersTimeout', -1],
    ['headersTimeout', Number.NaN],
    ['headersTimeout', '5s'],
    ['requestTimeout', true],
    ['requestTimeout', -5],
    ['maxConnections', 0],
    ['maxConnections', 1.5],
    ['maxConnections', '100'],
  ])('%s %o is refused with an SSEOptionError before listening', async (option, value) => {
    const attempt = serve(() => new Response('ok'), { [option]: value } as NodeServeOptions);
    await expect(attempt).rejects.toThrow(SSEOptionError);
    await expect(
      serve(() => new Response('ok'), { [option]: value } as NodeServeOptions),
    ).rejects.toThrow(new RegExp(`^${option}: expected `));
  });

  test('the defaults, false to turn a timeout off, and clamping to the longest timer', async () => {
    await start();
    expect(running!.server.headersTimeout).toBe(5_000);
    // ssekit times the whole request itself (event streams exempt): Node's own check is off.
    expect(running!.server.requestTimeout).toBe(0);
    expect(running!.server.maxConnections).toBeUndefined();
    await running!.close();
    await start({ headersTimeout: false, requestTimeout: false, maxConnections: 10 });
    expect(running!.server.headersTimeout).toBe(0);
    expect(running!.server.maxConnections).toBe(10);
    await running!.close();
    await start({ headersTimeout: Number.MAX_VALUE, requestTimeout: 1.5 });
    expect(running!.server.headersTimeout).toBe(2 ** 31 - 1);
  });
});
