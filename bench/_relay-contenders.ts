// The relays of the relay benchmark, each a node:http server in front of
// the upstream: ssekit's recipe, the same gateway written by hand (a write
// per upstream chunk, and a write per event), and a byte-for-byte pipe (the
// ceiling: no relay that parses can beat it).
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { toNodeHandler } from '../adapters/runtimes/node/index.ts';
import { mapEvents, transformEvents } from '../src/middleware/index.ts';
import type { SSEEvent } from '../src/wire/event.ts';
import { common } from './_relay-process.ts';
import { answer } from './_resumable-process.ts';

export const CONTENDERS = ['ssekit', 'hand-written', 'hand, a write per event', 'limit'] as const;
export type ContenderName = (typeof CONTENDERS)[number];

/**
 * The gateway as docs/middleware.md writes it (its ids carried by the relay):
 * the one place to edit the recipe.
 */
async function recipe(request: Request, UPSTREAM_URL: string): Promise<Response> {
  const { pathname, search } = new URL(request.url);
  const path = pathname + search;
  const upstream = await fetch(UPSTREAM_URL + path, {
    headers: { 'last-event-id': request.headers.get('last-event-id') ?? '' },
    signal: request.signal,
  });
  return transformEvents(
    upstream,
    { request, heartbeat: false },
    mapEvents((event: SSEEvent) => {
      if (event.event !== 'delta') return event; // start / done pass as they are
      const delta = JSON.parse(event.data);
      if (!delta.text) return undefined; // drop empty deltas
      return { event: 'token', data: { ...delta, via: 'gateway' } }; // rename, add a field
    }),
  );
}

// Both hand-made relays: the upstream fetch ends when the client leaves, and
// a write the socket could not take waits for 'drain' (or the end) before
// the next upstream chunk is read.
async function pipe(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: string,
  write: (chunk: Uint8Array) => boolean,
) {
  const left = new AbortController();
  res.once('close', () => left.abort());
  try {
    const response = await fetch(upstream + req.url, {
      headers: { 'last-event-id': String(req.headers['last-event-id'] ?? '') },
      signal: left.signal,
    });
    res.writeHead(response.status, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
    });
    const reader = response.body!.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      if (!write(read.value)) await once(res, 'drain', { signal: left.signal });
    }
    res.end();
  } catch {
    // The client left (the fetch or the wait aborted), or the upstream failed.
    if (!res.headersSent) res.writeHead(502);
    res.destroy();
  }
}

/**
 * What a careful engineer writes without ssekit, with eventsource-parser:
 * the events of one upstream chunk transformed, then written in one
 * `res.write` (the "hand-written" relay every ratio is against), or, as
 * such relays are most often written, a `res.write` per event.
 */
function handWritten(upstream: string, perEvent: boolean) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const decoder = new TextDecoder();
    let text = '';
    let writable = true;
    const send = perEvent
      ? (event: string) => void (writable = res.write(event))
      : (event: string) => void (text += event);
    const parser = createParser({
      onEvent(event: EventSourceMessage) {
        if (event.event !== 'delta') return send(format(event.event, event.id, event.data));
        const delta = JSON.parse(event.data);
        if (!delta.text) return;
        send(format('token', event.id, JSON.stringify({ ...delta, via: 'gateway' })));
      },
    });
    return pipe(req, res, upstream, (chunk) => {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (text) {
        writable = res.write(text);
        text = '';
      }
      return writable;
    });
  };
}

// One event's text; data with line breaks (eventsource-parser joins the
// lines with LF) goes back as one data line each.
const format = (event: string | undefined, id: string | undefined, data: string) =>
  `${event === undefined ? '' : `event: ${event}\n`}${id === undefined ? '' : `id: ${id}\n`}data: ${data.replaceAll('\n', '\ndata: ')}\n\n`;

function relayServer(name: ContenderName, upstream: string): Server {
  switch (name) {
    case 'ssekit':
      return createServer(toNodeHandler((request) => recipe(request, upstream)));
    case 'hand-written':
      return createServer(handWritten(upstream, false));
    case 'hand, a write per event':
      return createServer(handWritten(upstream, true));
    case 'limit':
      return createServer((req, res) => pipe(req, res, upstream, (chunk) => res.write(chunk)));
  }
}

/** The relay's process: one contender's server, its CPU time and memory. */
export function runRelay() {
  let server: Server | undefined;
  answer({
    async init({ contender, upstream }) {
      server = relayServer(contender, upstream);
      server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
      await once(server, 'listening');
      return { port: (server.address() as AddressInfo).port };
    },
    ...common(() => server?.closeAllConnections()),
  });
}
