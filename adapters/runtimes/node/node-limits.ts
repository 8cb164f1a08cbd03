/// <reference types="node" />
/**
 * What `serve` bounds before a handler runs, so that idle or trickling
 * connections cannot take a server's file descriptors: how long a request's
 * headers and body may take to arrive, and how many connections are open.
 *
 * @module
 */
import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import { needCount, timeoutOption } from '../../../src/checks.ts';

/** @internal `serve`'s limits, checked: what `createServer` takes, and what is timed here. */
export interface Limits {
  server: ServerOptions;
  /** Milliseconds a body may take after its headers; 0 for no bound. */
  requestTimeout: number;
  maxConnections: number | undefined;
}

/**
 * @internal Checks the limit options of `serve` (an `SSEOptionError` for a bad one) and
 * fills in the defaults: headers in 5 s, a body in 30 s, no connection cap.
 */
export function limitsOptions(options: {
  headersTimeout?: unknown;
  requestTimeout?: unknown;
  maxConnections?: unknown;
}): Limits {
  // Node takes whole milliseconds only.
  const headersTimeout = Math.ceil(timeoutOption('headersTimeout', options.headersTimeout, 5000));
  const requestTimeout = timeoutOption('requestTimeout', options.requestTimeout, 30_000);
  const { maxConnections } = options;
  if (maxConnections !== undefined) needCount('maxConnections', maxConnections);
  const server: ServerOptions = {
    headersTimeout,
    // Node's own would cut an event stream whose request body is still
    // unread (its parser waits for the handler): bodies are timed here.
    requestTimeout: 0,
    // Node looks every 30 s by default: headers due in 5 s would be held 35 s.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, headersTimeout)),
  };
  return { server, requestTimeout, maxConnections: maxConnections as number | undefined };
}

/** What Node itself answers a request that timed out. */
const TIMED_OUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';

/**
 * @internal Closes the connection of `req` when its body has not all arrived `timeout` ms
 * after its headers, unless its response is being sent: an event stream, or
 * any response on its way, is not the request's to cut. A request without a
 * body costs nothing.
 */
export function timeBody(req: IncomingMessage, res: ServerResponse, timeout: number): void {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) {
    return; // HTTP/1 says: no body
  }
  const timer = setTimeout(() => {
    if (req.complete || (res.headersSent && !res.writableEnded)) return;
    const socket = req.socket;
    if (!res.headersSent && socket.writable) socket.write(TIMED_OUT);
    socket.destroy();
  }, timeout);
  // Whichever comes first takes the other's listener too: a body the
  // handler stopped reading never ends, and leaves nothing on the request.
  const stop = () => {
    clearTimeout(timer);
    res.off('close', stop);
    req.off('end', stop);
  };
  res.once('close', stop);
  req.once('end', stop);
}
