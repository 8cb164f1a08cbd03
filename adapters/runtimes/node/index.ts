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
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FetchHandler } from '../../../src/middleware/compose.ts';
import { onAbort } from '../../../src/server/signal-watch.ts';
import { isEventStreamType } from '../../../src/wire/content-type.ts';
import { limitsOptions, timeBody } from './node-limits.ts';
import { LazyRequest } from './node-request.ts';
import { respond, writeTimeoutOption } from './node-response.ts';
import type { NodeRequest, NodeResponse } from './node-types.ts';

export type { FetchHandler } from '../../../src/middleware/compose.ts';
export type { NodeRequest, NodeResponse } from './node-types.ts';

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
   * Milliseconds a response may wait for a client that takes no bytes at
   * all before its connection is destroyed (an event stream then closes with
   * reason `'timeout'`): a client that stops reading cannot pin what Node
   * buffers for it, whatever the overflow policy. A slow client is not cut
   * while the server sees it take bytes (on HTTP/1.1, what the kernel takes
   * from the socket, even mid-write); the kernel shows that in steps (see
   * the README). Default 30000; `false` or 0 turns it off; at most 2^31-1.
   */
  writeTimeout?: number | false;
}

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

/**
 * Options of {@link serve}.
 *
 * @example
 * ```ts
 * await serve(app, { port: 3000, hostname: '0.0.0.0', grace: 10_000, maxConnections: 50_000 });
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
  /**
   * Milliseconds a request's headers may take to arrive, from the connection
   * (on a reused one, from the request's first byte): later, a `408` and the
   * connection is closed. Checked once a second. Default 5000; `false` or 0
   * turns it off; at most 2^31-1.
   */
  headersTimeout?: number | false;
  /**
   * Milliseconds a request's body may take to arrive after its headers:
   * later, a `408` and the connection is closed. A response being sent is
   * never cut by it, so an event stream lives as long as it likes. Default
   * 30000; `false` or 0 turns it off; at most 2^31-1.
   */
  requestTimeout?: number | false;
  /**
   * The most connections open at once: one more is closed as soon as it is
   * accepted (the server emits `'drop'`). Keep it under the open-file limit
   * (`ulimit -n`), with room for what else the process opens. Default: no cap.
   */
  maxConnections?: number;
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
 * responses get `grace` ms to finish. Headers slower than `headersTimeout`
 * (5 s) and bodies slower than `requestTimeout` (30 s) get a `408`.
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
  const limits = limitsOptions(options);
  const shutdown = new AbortController();
  // Every open event stream listens to it: thousands are normal, not a leak
  // (Node warns from the 11th listener on).
  setMaxListeners(0, shutdown.signal);
  const listener = toNodeHandler(handler, { signal: shutdown.signal, writeTimeout });
  const server = createServer(limits.server, (req, res) => {
    // A response that finishes during a shutdown leaves an idle keep-alive socket.
    res.once('finish', () => shutdown.signal.aborted && server.closeIdleConnections());
    if (limits.requestTimeout) timeBody(req, res, limits.requestTimeout);
    return listener(req, res);
  });
  if (limits.maxConnections) server.maxConnections = limits.maxConnections;
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
