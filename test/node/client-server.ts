import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** A header's raw bytes: Node hands header values over as latin1 text. */
  bytes(name: string): number[] | undefined;
  /** When the request arrived (performance.now()). */
  at: number;
  /** Resolves when the client goes away or the response ends. */
  closed: Promise<void>;
}

export type Handle = (req: IncomingMessage, res: ServerResponse, index: number) => void;

/**
 * A node:http server that answers the n-th request with `handle(req, res, n)`
 * and records every request; raw control of bytes, statuses and types.
 */
export async function startServer(handle: Handle) {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      bytes: (name) => {
        const value = req.headers[name];
        return typeof value === 'string' ? [...Buffer.from(value, 'latin1')] : undefined;
      },
      at: performance.now(),
      closed,
    });
    handle(req, res, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends an event-stream body (or another type) and ends the response. */
export function send(res: ServerResponse, body: string | Uint8Array, type = 'text/event-stream') {
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
  res.end(body);
}

/** Answers with a bare status (204 and friends). */
export function status(res: ServerResponse, code: number, body = '') {
  res.writeHead(code, { 'content-type': 'text/event-stream' });
  res.end(code === 204 || code === 205 ? undefined : body);
}

/** Resolves once `check` is true, polling; fails after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
