/// <reference types="node" />
/**
 * A server whose handler stops reading request bodies, for
 * `node-body.test.ts`. It runs as a process of its own, so that an exception
 * thrown where nothing can catch it ends the process, as it would in
 * production.
 *
 *   node bundle.mjs serve|listener|http2     prints `ready <port>`
 *
 * `POST /?way=none|cancel|reader|break|throw` stops reading the body that way and
 * answers 413; `GET /` answers `ok`; `GET /stats` tells what the requests
 * so far left behind.
 */
import { createServer as createHttp2Server, type Http2ServerRequest } from 'node:http2';
import type { Server, Socket } from 'node:net';
import { serve, toNodeHandler } from '../../adapters/runtimes/node/index.ts';
import type { NodeRequest } from '../../adapters/runtimes/node/node-types.ts';

const EVENTS = ['data', 'end', 'error', 'close', 'aborted', 'readable'] as const;

/** The three ways a handler stops reading: what a body limit does. */
const ways: Record<string, (body: ReadableStream<Uint8Array>) => Promise<void>> = {
  // Never touched: the adapter drops it when the response is over.
  none: async () => {},
  cancel: (body) => body.cancel(),
  reader: async (body) => {
    const reader = body.getReader();
    await reader.read();
    await reader.cancel();
  },
  break: async (body) => {
    for await (const _ of body as unknown as AsyncIterable<Uint8Array>) break;
  },
  // Reads it all, then fails: a 500.
  throw: async (body) => {
    await new Response(body).arrayBuffer();
    throw new Error('planned');
  },
};

// The adapter logs a handler's failure; the planned one is no news.
const logError = console.error;
console.error = (...args: unknown[]) => {
  if ((args[1] as Error)?.message !== 'planned') logError(...args);
};

/** Listeners on `req` for `event`, but for Node's own (its server's `clearIncoming` on 'end'). */
function ours(req: NodeRequest, event: string): number {
  return req.listeners(event).filter((listener) => listener.name !== 'clearIncoming').length;
}

interface Tracked {
  req: NodeRequest;
  /** The listeners it had when it arrived, per event. */
  before: number[];
  done: boolean;
  /** Its connection's socket (under HTTP/2, the session's). */
  socket: Socket;
}
const tracked: Tracked[] = [];
let server: Server;

async function stats(): Promise<Record<string, number>> {
  const connections = await new Promise<number>((resolve) =>
    server.getConnections((_, count) => resolve(count)),
  );
  let listeners = 0;
  let unended = 0;
  for (const { req, before, done } of tracked) {
    if (!done) continue;
    EVENTS.forEach((event, index) => {
      listeners += ours(req, event) - before[index]!;
    });
    const gone =
      req.readableEnded || req.destroyed || (req as Http2ServerRequest).stream?.destroyed;
    if (!gone) unended++;
  }
  const done = tracked.filter((entry) => entry.done).length;
  // What the connection of the last request read so far (under HTTP/2, the session's).
  const read = tracked.at(-1)?.socket.bytesRead ?? 0;
  return { connections, requests: done, listeners, unended, read };
}

async function handler(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === '/stats') return Response.json(await stats());
  const way = url.searchParams.get('way');
  if (request.method === 'POST' && way) {
    await ways[way]!(request.body!);
    return new Response('too large', { status: 413 });
  }
  return new Response('ok');
}

function track(req: NodeRequest, res: { once(event: 'close', listener: () => void): unknown }) {
  if (req.url?.startsWith('/stats')) return;
  const before = EVENTS.map((event) => ours(req, event));
  const socket = 'stream' in req ? (req.stream.session!.socket as Socket) : req.socket;
  const entry: Tracked = { req, before, done: false, socket };
  tracked.push(entry);
  res.once('close', () => {
    entry.done = true;
  });
}

const mode = process.argv[2];
if (mode === 'serve') {
  server = (await serve(handler)).server;
} else if (mode === 'listener') {
  const { createServer } = await import('node:http');
  server = createServer(toNodeHandler(handler));
} else {
  server = createHttp2Server(toNodeHandler(handler));
}
server.prependListener('request', track);
if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
console.log(`ready ${(server.address() as { port: number }).port}`);
