/// <reference types="node" />
/**
 * ssekit on Node: a fetch handler `(request) => Response` as a `node:http`
 * or `node:http2` request listener, an Express/Connect handler, or a server.
 *
 * Node writes nothing until the first body write and never tells a `Request`
 * that its client left; this adapter flushes headers at once, pumps the body
 * with backpressure, aborts `request.signal` and cancels the body on
 * disconnect, and keeps HTTP/1-only headers away from HTTP/2 clients.
 *
 * @module
 */
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { SSEOptionError } from '../src/errors.ts';
import { describe } from '../src/wire/encode.ts';

export * from './tail-log.ts';

/**
 * A fetch handler: what `Deno.serve`, `Bun.serve` and Workers call.
 *
 * @example
 * ```ts
 * const app: FetchHandler = (request) => sseResponse(['hi'], { request });
 * ```
 */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/**
 * Options of {@link toNodeHandler}.
 *
 * @example
 * ```ts
 * const shutdown = new AbortController();
 * server.on('request', toNodeHandler(app, { signal: shutdown.signal }));
 * process.once('SIGTERM', () => shutdown.abort()); // open event streams end cleanly
 * ```
 */
export interface NodeHandlerOptions {
  /** When it aborts, open event streams end cleanly (a server shutdown). */
  signal?: AbortSignal;
  /**
   * Milliseconds a response may wait for a client that accepts no bytes at
   * all before its connection is destroyed (an event stream then closes with
   * reason `'timeout'`): a client that stops reading cannot pin what Node
   * buffers for it, whatever the overflow policy. A slow client that takes
   * some bytes is never cut. Default 30000; `false` or 0 turns it off; at
   * most 2^31-1.
   */
  writeTimeout?: number | false;
}

type NodeRequest = IncomingMessage | Http2ServerRequest;
type NodeResponse = ServerResponse | Http2ServerResponse;

// Connection-specific headers: HTTP/2 forbids them (Node's http2 throws on
// some, browsers drop the stream on others).
const _HOP_BY_HOP = new Set(
  'connection keep-alive proxy-connection te transfer-encoding upgrade'.split(' '),
);

// How to drop the rest of a request body that the handler began to read.
const _unread = new WeakMap<NodeRequest, () => void>();

/**
 * Turns a fetch handler into `(req, res) => Promise<void>`: a `node:http` or
 * `node:http2` compat request listener and an Express/Connect handler. The
 * promise settles once the response is over and never rejects.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { sseResponse } from 'ssekit';
 * import { toNodeHandler } from 'ssekit/node';
 *
 * const app = (request: Request) => sseResponse(['hello'], { request });
 * createServer(toNodeHandler(app)).listen(3000);
 * // Express: expressApp.get('/events', toNodeHandler(app));
 * ```
 */
export function toNodeHandler(
  handler: FetchHandler,
  options: NodeHandlerOptions = {},
): (req: NodeRequest, res: NodeResponse) => Promise<void> {
  const writeTimeout = _writeTimeout(options.writeTimeout);
  return async (req, res) => {
    // The request's signal: the client left, or a shutdown.
    const abort = new AbortController();
    const stop = () => abort.abort();
    // 'close' before end() is a client that left; after it, a normal finish.
    res.once('close', () => res.writableEnded || stop());
    // On a shutdown, first the caller's own listeners on the same signal (an
    // `sseResponse` `signal` option closes with reason 'abort'), then this.
    const shutdown = () => queueMicrotask(stop);
    try {
      const response = await handler(_toRequest(req, abort.signal));
      _writeHead(req, res, response);
      // A shutdown ends event streams (their clients resume elsewhere with
      // Last-Event-ID); other responses run on.
      if (/^text\/event-stream/i.test(response.headers.get('content-type') ?? '')) {
        if (options.signal?.aborted) shutdown();
        options.signal?.addEventListener('abort', shutdown, { once: true });
      }
      if (response.body) await _pump(response.body, res, writeTimeout);
      else res.end();
    } catch (error) {
      console.error('ssekit/node: the handler failed:', error);
      try {
        if (res.headersSent) res.destroy();
        else res.writeHead(500).end();
      } catch {
        res.destroy(); // the error was in the head itself
      }
    } finally {
      options.signal?.removeEventListener('abort', shutdown);
      // An unread request body would stall a keep-alive connection: drain it.
      if (!req.readableEnded) (_unread.get(req) ?? (() => req.resume()))();
    }
  };
}

/**
 * Options of {@link serve}.
 *
 * @example
 * ```ts
 * await serve(app, { port: 3000, hostname: '0.0.0.0', grace: 10_000 });
 * ```
 */
export interface NodeServeOptions {
  /** Default 0: a free port, reported in `url`. */
  port?: number;
  /** Default: every interface, as `node:http` does. */
  hostname?: string;
  /** Aborting it closes the server, as `close()` does. */
  signal?: AbortSignal;
  /** Milliseconds other responses get to finish on close before their sockets are closed. Default 5000. */
  grace?: number;
  /** As in {@link NodeHandlerOptions}: a client that accepts nothing for this long is cut. Default 30000. */
  writeTimeout?: number | false;
}

/**
 * What {@link serve} resolves to.
 *
 * @example
 * ```ts
 * const { url, server, close } = await serve(app);
 * server.keepAliveTimeout = 65_000; // the node:http server itself
 * ```
 */
export interface NodeServer {
  /** `http://host:port` with the bound port; `127.0.0.1` when listening on every interface. */
  url: string;
  server: Server;
  /** Stops accepting, ends open event streams, gives the rest `grace` ms. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a `node:http` server for a fetch handler. `close()` (or aborting
 * `signal`) shuts down gracefully: no new connections, open event streams end
 * cleanly at once (their clients resume elsewhere with Last-Event-ID), other
 * responses get `grace` ms to finish.
 *
 * @example
 * ```ts
 * import { serve } from 'ssekit/node';
 *
 * const { url, close } = await serve(app, { port: 3000 });
 * console.log(`listening on ${url}`);
 * process.once('SIGTERM', close);
 * ```
 */
export async function serve(
  handler: FetchHandler,
  options: NodeServeOptions = {},
): Promise<NodeServer> {
  const { port = 0, hostname, signal, grace = 5000, writeTimeout } = options;
  const shutdown = new AbortController();
  // Every open event stream listens to it: thousands are normal, not a leak
  // (Node warns from the 11th listener on).
  setMaxListeners(0, shutdown.signal);
  const listener = toNodeHandler(handler, { signal: shutdown.signal, writeTimeout });
  const server = createServer((req, res) => {
    // A response that finishes during a shutdown leaves an idle keep-alive socket.
    res.once('finish', () => shutdown.signal.aborted && server.closeIdleConnections());
    return listener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    // Only a failed listen rejects: once listening, later errors are the
    // caller's (`server.on('error')`), or thrown as Node does when nobody listens.
    server.once('error', reject).listen(port, hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const close = (): Promise<void> => {
    if (shutdown.signal.aborted) return closed;
    shutdown.abort();
    server.close();
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), grace);
    return closed.then(() => clearTimeout(timer));
  };
  const { address, family, port: bound } = server.address() as AddressInfo;
  const host = hostname ? (family === 'IPv6' ? `[${address}]` : address) : '127.0.0.1';
  if (signal?.aborted) await close();
  signal?.addEventListener('abort', () => void close(), { once: true });
  return { url: `http://${host}:${bound}`, server, close };
}

function _toRequest(req: NodeRequest, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(':') || value === undefined) continue; // HTTP/2 pseudo-headers
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const host = req.headers.host ?? req.headers[':authority'] ?? 'localhost';
  const secure = 'encrypted' in req.socket && req.socket.encrypted;
  // Express rewrites `url` under a mounted router; `originalUrl` is what was asked.
  const path = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const method = req.method ?? 'GET';
  // A body parser (Express's `json()`, say) may have read the body already.
  const hasBody = method !== 'GET' && method !== 'HEAD' && !req.readableEnded;
  return new Request(`${secure ? 'https' : 'http'}://${host}${path}`, {
    method,
    headers,
    signal,
    body: hasBody ? _requestBody(req) : null,
    duplex: 'half', // a streamed body is read as it arrives
  } as RequestInit);
}

function _requestBody(req: NodeRequest): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      const onData = (chunk: Buffer) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      };
      req.pause().on('data', onData);
      req.once('end', () => controller.close()).once('error', (error) => controller.error(error));
      _unread.set(req, () => req.off('data', onData).resume());
    },
    pull: () => void req.resume(),
    // Never destroy: that would take the connection with it.
    cancel: () => _unread.get(req)?.(),
  });
}

function _writeHead(req: NodeRequest, res: NodeResponse, response: Response): void {
  const http2 = req.httpVersionMajor >= 2;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) {
    if (http2 && _HOP_BY_HOP.has(name)) continue;
    headers[name] = name === 'set-cookie' ? response.headers.getSetCookie() : value;
  }
  (res as ServerResponse).writeHead(response.status, headers);
  // Without this Node holds the headers until the first body write.
  (res as ServerResponse).flushHeaders();
}

/** The write timeout in ms, 0 for none: checked, and clamped to what a timer can wait. */
function _writeTimeout(value: unknown): number {
  if (value === undefined) return 30_000;
  if (value === false || value === 0) return 0;
  if (typeof value === 'number' && value > 0) return Math.min(value, 2 ** 31 - 1);
  throw new SSEOptionError(
    `writeTimeout: expected milliseconds above 0, or false to turn it off, got ${describe(value)}.`,
  );
}

async function _pump(body: ReadableStream<Uint8Array>, res: NodeResponse, writeTimeout: number) {
  const reader = body.getReader();
  // A client that leaves cancels the body: the source's signal aborts and its
  // `finally` runs. After a normal end 'close' comes too late to matter.
  let gone = false;
  const cancel = (reason?: unknown) => {
    if (gone) return;
    gone = true;
    reader.cancel(reason).catch(() => {});
  };
  // A client that accepts nothing for writeTimeout: the body learns why
  // (a TimeoutError), and what Node holds for the client is dropped.
  const stalled = () => {
    cancel(new DOMException('The client accepted no bytes within writeTimeout.', 'TimeoutError'));
    res.destroy();
  };
  if (res.destroyed) cancel();
  res.once('close', cancel);
  // A body that errors (a push writer's overflow) cuts the connection at
  // once, even while a write waits for 'drain': the backlog is dropped, not
  // delivered to a client that stopped reading.
  reader.closed.catch(() => res.destroy());
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || gone) break;
      if (!(res as ServerResponse).write(value))
        await _settled(res, 'drain', writeTimeout, stalled);
    }
    if (!gone) {
      res.end();
      // What end() could not flush yet is held too: the same bound applies.
      if (!res.writableFinished) void _settled(res, 'finish', writeTimeout, () => res.destroy());
    }
  } catch (error) {
    // An overflow's AbortError is the stream's own doing, told to onClose.
    if (!gone && (error as Error)?.name !== 'AbortError') {
      console.error('ssekit/node: the response body failed:', error);
    }
    res.destroy();
  } finally {
    res.off('close', cancel);
  }
}

/**
 * Resolves on `event` ('drain' or 'finish'), or on 'close': after a destroy
 * they never come. With a timeout, calls `stalled` when the bytes Node holds
 * for the client did not go down for `timeout` ms; a slow client that takes
 * some gets another `timeout`.
 */
function _settled(
  res: NodeResponse,
  event: 'drain' | 'finish',
  timeout: number,
  stalled: () => void,
): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let held = res.writableLength;
    const check = () => {
      const now = res.writableLength;
      if (now > 0 && now >= held) return stalled(); // 'close' follows and settles
      held = now;
      timer = setTimeout(check, timeout);
    };
    const settle = () => {
      clearTimeout(timer);
      res.off(event, settle).off('close', settle);
      resolve();
    };
    res.once(event, settle).once('close', settle);
    if (timeout) timer = setTimeout(check, timeout);
  });
}
