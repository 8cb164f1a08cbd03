/// <reference types="node" />
/**
 * ssekit/node beyond the shared runtime suite: Express-style mounting,
 * request bodies, keep-alive reuse after an unread body, graceful shutdown,
 * handler failures.
 */
import {
  Agent,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  type NodeHandlerOptions,
  type NodeServer,
  serve,
  toNodeHandler,
} from '../../adapters/runtimes/node/index.ts';
import {
  type CloseReason,
  createEventStream,
  SSEOptionError,
  type SSEResponseInit,
  sseResponse,
} from '../../src/index.ts';

let running: NodeServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  vi.restoreAllMocks();
});

async function start(handler: (request: Request) => Response | Promise<Response>, grace?: number) {
  running = await serve(handler, { grace });
  return running;
}

/** A raw HTTP/1.1 exchange on `agent`: status, headers and body text. */
function exchange(url: string, agent: Agent, method = 'GET', body?: Buffer) {
  return new Promise<{ status: number; headers: IncomingMessage['headers']; text: string }>(
    (resolve, reject) => {
      const req = httpRequest(url, { method, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      });
      req.on('error', reject).end(body);
    },
  );
}

describe('toNodeHandler', () => {
  test('an Express-style mount sees the original URL; the promise settles after the response', async () => {
    const seen: string[] = [];
    const handler = toNodeHandler((request) => {
      seen.push(request.url);
      return sseResponse(['one'], { request });
    });
    let settled: Promise<void> | undefined;
    const { createServer } = await import('node:http');
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      // What a router mounted at /api does before calling the handler.
      Object.assign(req, { originalUrl: req.url, url: '/events' });
      settled = handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/api/events?x=1`);
    expect(await response.text()).toBe(':\n\ndata: one\n\n');
    await expect(settled).resolves.toBeUndefined();
    expect(seen).toEqual([`http://127.0.0.1:${port}/api/events?x=1`]);
    server.close();
  });

  test('a request body is handed over; HTTP/1.1 streams keep the connection alive', async () => {
    const { url } = await start(async (request) => {
      const text = await request.text();
      return sseResponse([{ event: 'echo', data: text }], { request });
    });
    const agent = new Agent({ keepAlive: true });
    const result = await exchange(url, agent, 'POST', Buffer.from('hello body'));
    expect(result.text).toBe(':\n\nevent: echo\ndata: hello body\n\n');
    expect(result.headers.connection).toBe('keep-alive');
    expect(result.headers['transfer-encoding']).toBe('chunked');
    agent.destroy();
  });

  test('a body that a body parser already read is an empty body, not a hang', async () => {
    const handler = toNodeHandler(async (request) => new Response(`[${await request.text()}]`));
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      req.resume().once('end', () => handler(req, res)); // what express.json() does first
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'parsed' });
    expect(await response.text()).toBe('[]');
    server.close();
  });

  test('an unread request body is drained, so the connection serves the next request', async () => {
    const { url } = await start(async (request) => {
      if (request.method === 'POST') await request.body!.getReader().read(); // one chunk only
      return new Response('ok');
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // At most MAX_UNREAD (1 MiB) is drained to keep a connection (node-body.test.ts: past it).
    const first = await exchange(url, agent, 'POST', Buffer.alloc(1024 * 1024, 'x'));
    const second = await Promise.race([
      exchange(url, agent),
      new Promise((_, reject) => setTimeout(() => reject(new Error('connection stalled')), 2000)),
    ]);
    expect([first.text, (second as { text: string }).text]).toEqual(['ok', 'ok']);
    agent.destroy();
  });

  test('a handler that throws gets a 500 and the server keeps serving', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { url } = await start((request) => {
      if (new URL(request.url).pathname === '/boom') throw new Error('secret');
      return new Response('fine');
    });
    const failed = await fetch(`${url}/boom`);
    expect([failed.status, await failed.text()]).toEqual([500, '']);
    expect(error).toHaveBeenCalledOnce();
    expect(await (await fetch(`${url}/`)).text()).toBe('fine');
  });

  test('every set-cookie header is kept', async () => {
    const { url } = await start(() => {
      const headers = new Headers();
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2');
      return new Response('ok', { headers });
    });
    expect((await fetch(url)).headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });
});

describe('serve', () => {
  test('binds a free port on every interface and reports a URL that reaches it', async () => {
    const { url, server } = await start(() => new Response('ok'));
    expect(await (await fetch(url)).text()).toBe('ok');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url.endsWith(`:${(server.address() as { port: number }).port}`)).toBe(true);
  });

  test('close() ends open event streams cleanly and resolves without waiting for grace', async () => {
    const reasons: CloseReason[] = [];
    const server = await start(
      (request) =>
        sseResponse(
          ({ signal }) => new Promise((resolve) => signal.addEventListener('abort', resolve)),
          {
            request,
            onClose: ({ reason }) => reasons.push(reason),
          },
        ),
      10_000,
    );
    const response = await fetch(server.url);
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    const startedAt = performance.now();
    await server.close();
    running = undefined;
    expect(performance.now() - startedAt).toBeLessThan(1000);
    expect(await reader.read()).toEqual({ done: true, value: undefined }); // a clean end, no error
    expect(reasons).toEqual(['disconnect']);
  });

  test('a server error after the start is not swallowed', async () => {
    const { server } = await start(() => new Response('ok'));
    // Nothing of ours is left listening: an unhandled 'error' throws, as Node's own servers do.
    expect(server.listenerCount('error')).toBe(0);
    expect(() => server.emit('error', new Error('later'))).toThrow('later');
    const seen: unknown[] = [];
    server.on('error', (error) => seen.push(error));
    server.emit('error', new Error('handled'));
    expect(seen).toHaveLength(1);
  });

  test('a port in use rejects serve()', async () => {
    const { server } = await start(() => new Response('ok'));
    const { port } = server.address() as { port: number };
    await expect(serve(() => new Response('ok'), { port })).rejects.toThrow(/EADDRINUSE/);
  });

  test('a signal aborted before the start closes the server at once', async () => {
    const { url, server } = await serve(() => new Response('ok'), { signal: AbortSignal.abort() });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.listening).toBe(false);
  });

  test('the same signal given to sseResponse closes streams as an abort, final events included', async () => {
    const shutdown = new AbortController();
    const reasons: CloseReason[] = [];
    const { url } = await serve(
      (request) => {
        // Registered first, so it writes before the stream sees the abort.
        shutdown.signal.addEventListener('abort', () => writer.event('bye', 'server restarting'));
        const { response, writer } = createEventStream({
          request,
          signal: shutdown.signal,
          onClose: ({ reason }) => reasons.push(reason),
        });
        return response;
      },
      { signal: shutdown.signal },
    );
    const response = await fetch(url);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader.read()).value).toBe(':\n\n');
    shutdown.abort();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      rest += chunk.value;
    expect(rest).toBe('event: bye\ndata: server restarting\n\n');
    expect(reasons).toEqual(['abort']);
  });

  test('aborting the signal option closes the server', async () => {
    const controller = new AbortController();
    const { url, server } = await serve(() => new Response('ok'), { signal: controller.signal });
    expect(await (await fetch(url)).text()).toBe('ok');
    controller.abort();
    await new Promise((resolve) => server.once('close', resolve));
    expect(server.listening).toBe(false);
  });
});

/**
 * A node:http server whose one route is a push writer that writes 16 KiB
 * messages as fast as it may, and a client that asks for it and then never
 * reads a byte: the kernel buffers fill, then Node's, then the writer's queue.
 */
async function stalledClient(init: SSEResponseInit, options: NodeHandlerOptions) {
  let onClose!: (reason: CloseReason) => void;
  const reason = new Promise<CloseReason>((resolve) => (onClose = resolve));
  let onResponse!: (res: ServerResponse) => void;
  const responded = new Promise<ServerResponse>((resolve) => (onResponse = resolve));
  const chunk = 'x'.repeat(16 * 1024);
  const handler = toNodeHandler((request) => {
    const { response, writer } = createEventStream({
      request,
      heartbeat: false,
      onClose: (info) => onClose(info.reason),
      ...init,
    });
    const timer = setInterval(() => {
      for (let n = 0; n < 8; n++) writer.data(chunk);
    }, 1);
    writer.closed.then(() => clearInterval(timer));
    return response;
  }, options);
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    onResponse(res);
    return handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const socket: Socket = connect(port, '127.0.0.1').on('error', () => {});
  socket.write('GET / HTTP/1.1\r\nhost: test\r\naccept: text/event-stream\r\n\r\n');
  socket.pause(); // never reads
  // The client sees the cut once it reads what its kernel already holds.
  const socketClosed = () => {
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.resume();
    return closed;
  };
  const res = await responded;
  const stop = () => {
    socket.destroy();
    server.close();
  };
  return { res, reason, socketClosed, stop };
}

describe('a client that stops reading', () => {
  test("an overflow with 'disconnect' destroys the connection at once; nothing stays buffered", async () => {
    // The policy closes only once Node has waited for 'drain' through 100
    // overflowing writes: the pump is parked on a drain that never comes.
    let server: ServerResponse | undefined;
    let overflows = 0;
    const overflow = () => {
      if (!server?.writableNeedDrain) overflows = 0;
      return ++overflows > 100 ? 'disconnect' : 'drop-newest';
    };
    const { res, reason, socketClosed, stop } = await stalledClient(
      { maxQueuedBytes: 256 * 1024, overflow },
      { writeTimeout: false }, // the overflow alone must let go
    );
    server = res;
    try {
      expect(await reason).toBe('overflow');
      expect(overflows).toBeGreaterThan(100);
      await new Promise((resolve) => setImmediate(resolve));
      // Cut at once, while the client still reads nothing: not on a later 'drain'.
      expect(res.destroyed).toBe(true);
      await socketClosed(); // the client sees the cut and resumes with Last-Event-ID
      expect(res.writableLength).toBe(0);
      expect(res.socket?.destroyed ?? true).toBe(true);
    } finally {
      stop();
    }
  });

  test('writeTimeout destroys a socket that accepts nothing, whatever the overflow policy', async () => {
    const { res, reason, socketClosed, stop } = await stalledClient(
      { overflow: 'drop-newest', maxQueuedBytes: 256 * 1024 },
      { writeTimeout: 200 },
    );
    try {
      expect(await reason).toBe('timeout'); // the stream's one close path ran, and says why
      await socketClosed();
      expect(res.destroyed).toBe(true);
      expect(res.writableLength).toBe(0);
    } finally {
      stop();
    }
  });

  test('writeTimeout is clamped: a huge one never turns into a timer that fires at once', async () => {
    // The wait is watched once a second at most; a delay past 2^31-1 would fire after 1 ms.
    const delays: number[] = [];
    const setTimer = globalThis.setInterval;
    vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return setTimer(fn, ms);
    }) as typeof setInterval);
    const { reason, stop } = await stalledClient(
      { maxQueuedBytes: 256 * 1024 },
      { writeTimeout: Number.MAX_VALUE },
    );
    try {
      expect(await reason).toBe('overflow'); // the stream's own bound, not a timeout
      expect(delays).toContain(1000);
      expect(delays.every((ms) => ms >= 1 && ms <= 1000)).toBe(true);
    } finally {
      stop();
    }
  });

  test.each([[-1], [Number.NaN], ['30s'], [true], [null]])(
    'writeTimeout %o throws SSEOptionError',
    (writeTimeout) => {
      const app = () => new Response('ok');
      expect(() => toNodeHandler(app, { writeTimeout } as never)).toThrow(SSEOptionError);
      expect(() => toNodeHandler(app, { writeTimeout } as never)).toThrow(/writeTimeout/);
    },
  );

  test('serve() checks writeTimeout before it listens', async () => {
    await expect(serve(() => new Response('ok'), { writeTimeout: -5 })).rejects.toThrow(
      SSEOptionError,
    );
  });
});
