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
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { MAX_DELAY, need } from '../src/checks.ts';
import type { FetchHandler } from '../src/middleware/compose.ts';
import { type DirectSink, type DirectStream, directStream } from '../src/server/direct.ts';
import { HOP_BY_HOP } from '../src/server/headers.ts';
import { onAbort } from '../src/server/signal-watch.ts';
import { isEventStreamType } from '../src/wire/content-type.ts';
import { LazyRequest, type NodeRequest } from './node-request.ts';

export type { FetchHandler } from '../src/middleware/compose.ts';
// Log tailing has its own entry, `ssekit/tail`; still here for code that
// imported it from `ssekit/node`.
export * from './tail.ts';

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

type NodeResponse = ServerResponse | Http2ServerResponse;

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
  const writeTimeout = writeTimeoutOption(options.writeTimeout);
  return async (req, res) => {
    // Built only as far as the handler reads it; its signal (if read)
    // aborts when the client leaves or on a shutdown.
    const request = new LazyRequest(req);
    // 'close' before end() is a client that left; after it, a normal finish.
    res.on('close', () => res.writableEnded || LazyRequest.abort(request));
    let unwatch: (() => void) | undefined;
    try {
      // The response is used in `respond` alone: while a stream runs, nothing
      // here holds it (on the direct path, it and its body are collected).
      await Promise.resolve(handler(request as unknown as Request)).then((response) => {
        const connection = respond(response, req, res, writeTimeout);
        if (!connection) return;
        // A shutdown ends event streams (their clients resume elsewhere with
        // Last-Event-ID); other responses run on. First the caller's own
        // listeners on the same signal (an `sseResponse` `signal` option
        // closes with reason 'abort'), then this.
        const shutdown = options.signal;
        if (shutdown && isEventStreamType(response.headers.get('content-type'))) {
          const end = () =>
            queueMicrotask(() => {
              LazyRequest.abort(request);
              connection.shutdown();
            });
          if (shutdown.aborted) end();
          else unwatch = onAbort(shutdown, end);
        }
        return connection.done;
      });
    } catch (error) {
      console.error('ssekit/node: the handler failed:', error);
      try {
        if (res.headersSent) res.destroy();
        else res.writeHead(500).end();
      } catch {
        res.destroy(); // the error was in the head itself
      }
    } finally {
      unwatch?.();
      // An unread request body would stall a keep-alive connection: drain it.
      LazyRequest.drainBody(request);
    }
  };
}

/** What `respond` started: its end, and how a shutdown ends it at once. */
interface Sending {
  done: Promise<void>;
  shutdown(): void;
}

/**
 * Sends `response` on `res`: directly when ssekit made it, else by reading
 * its body. `undefined` when there was nothing to stream.
 */
function respond(
  response: Response,
  req: NodeRequest,
  res: NodeResponse,
  writeTimeout: number,
): Sending | undefined {
  writeHead(req, res, response);
  const direct = directStream(response);
  if (direct) {
    const connection = new DirectConnection(res, direct, writeTimeout);
    if (connection.done) return connection as Sending;
  }
  if (response.body) return pump(response.body, res, writeTimeout);
  res.end();
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

function writeHead(req: NodeRequest, res: NodeResponse, response: Response): void {
  const http2 = req.httpVersionMajor >= 2;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) {
    if (http2 && HOP_BY_HOP.includes(name)) continue;
    headers[name] = name === 'set-cookie' ? response.headers.getSetCookie() : value;
  }
  (res as ServerResponse).writeHead(response.status, headers);
  // Without this Node holds the headers until the first body write.
  (res as ServerResponse).flushHeaders();
}

/**
 * The direct path (see `directStream`): the stream writes its bytes into the
 * response itself, with Node's own backpressure. One object a connection,
 * its listeners made when first needed. `done` settles when the response is
 * over; it is unset when the stream finished before it could attach (its
 * bytes are then in the body: read that).
 *
 * A write that fills the socket starts the write timeout: if the bytes Node
 * holds do not go down for that long, the stream closes as 'timeout' and the
 * socket is destroyed.
 */
class DirectConnection implements DirectSink {
  done: Promise<void> | undefined;
  #res: NodeResponse;
  #direct: DirectStream;
  #timeout: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #held = 0;
  #resolve: (() => void) | undefined;
  #onDrain: (() => void) | undefined;

  constructor(res: NodeResponse, direct: DirectStream, timeout: number) {
    this.#res = res;
    this.#direct = direct;
    this.#timeout = timeout;
    if (!direct.attach(this)) return;
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    res.on('close', this.#closed);
    if (res.destroyed) direct.cancel(); // gone before the first write
  }

  write(bytes: Uint8Array): boolean {
    const more = (this.#res as ServerResponse).write(bytes);
    if (!more) this.#stalled();
    return more;
  }

  end(): void {
    this.#res.end();
    // What end() could not flush yet is held too: the same bound applies.
    if (!this.#res.writableFinished) this.#stalled();
  }

  destroy(): void {
    this.#res.destroy();
  }

  /** A server shutdown: the stream closes, the response ends cleanly. */
  shutdown(): void {
    this.#direct.cancel();
    this.#res.end();
  }

  #closed = (): void => {
    clearTimeout(this.#timer);
    if (this.#onDrain) this.#res.off('drain', this.#onDrain);
    // Before end(): the client left (or the socket was cut); the stream closes.
    if (!this.#res.writableEnded) this.#direct.cancel();
    this.#resolve?.();
  };

  /** The socket is full: wait for 'drain', and time the wait. */
  #stalled(): void {
    this.#onDrain ??= () => {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#direct.drained();
    };
    this.#res.once('drain', this.#onDrain);
    if (!this.#timeout || this.#timer) return;
    this.#held = this.#res.writableLength;
    this.#timer = setTimeout(() => this.#check(), this.#timeout);
  }

  #check(): void {
    const held = this.#res.writableLength;
    if (held > 0 && held >= this.#held) {
      this.#direct.cancel('timeout');
      this.#res.destroy();
      return;
    }
    this.#held = held; // slow, not stalled: another full timeout
    this.#timer = setTimeout(() => this.#check(), this.#timeout);
  }
}

/** The write timeout in ms, 0 for none: checked, and clamped to what a timer can wait. */
function writeTimeoutOption(value: unknown): number {
  if (value === undefined) return 30_000;
  if (value === false || value === 0) return 0;
  need(
    typeof value === 'number' && value > 0,
    'writeTimeout',
    'milliseconds above 0, or false to turn it off',
    value,
  );
  return Math.min(value as number, MAX_DELAY);
}

/** The body path: reads `body` and writes it, with backpressure and the write timeout. */
function pump(body: ReadableStream<Uint8Array>, res: NodeResponse, writeTimeout: number): Sending {
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
  const run = async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || gone) break;
        if (!(res as ServerResponse).write(value))
          await settled(res, 'drain', writeTimeout, stalled);
      }
      if (!gone) {
        res.end();
        // What end() could not flush yet is held too: the same bound applies.
        if (!res.writableFinished) void settled(res, 'finish', writeTimeout, () => res.destroy());
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
  };
  // A shutdown: the body is cancelled (an ssekit stream closes at once) and
  // the response ends cleanly.
  const shutdown = () => {
    cancel();
    res.end();
  };
  return { done: run(), shutdown };
}

/**
 * Resolves on `event` ('drain' or 'finish'), or on 'close': after a destroy
 * they never come. With a timeout, calls `stalled` when the bytes Node holds
 * for the client did not go down for `timeout` ms; a slow client that takes
 * some gets another `timeout`.
 */
function settled(
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
