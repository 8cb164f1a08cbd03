// HTTP/1.1 on loopback, Node: events per second delivered to one client
// (a second process, bench/_http-client.mjs) reading as fast as it can.
// Every server runs in this process on its own port; the same 200,000
// events (event name, numeric id, ~100 bytes of JSON) end each response.
//
// Two references bound what any server can do. The limit writes the bytes
// serialized beforehand: only the transport. "By hand" servers do the same
// work as ssekit's source with nothing in between: each event serialized as
// it is produced (JSON.stringify and the wire text), gathered into writes of
// about 16 KiB, from a plain loop and from an async generator. No library
// that takes events as values can beat them, so they say how much of the
// gap to the limit is the work itself. ssekit with a source of messages
// encoded beforehand does the limit's work plus the engine's; its by-hand
// match yields the same bytes, made beforehand, from an async generator and
// joins them into writes of about 16 KiB. Each ssekit row is compared with
// the by-hand server that does the same work as it.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createSession } from 'better-sse';
import { toNodeHandler as h3Node } from 'h3';
import { toNodeHandler } from '../adapters/runtimes/node/index.ts';
import { encodeMessage, preEncode, sseResponse } from '../src/index.ts';
import { compare, report } from './_harness.ts';
import { h3App, honoApp, payload } from './_workload.ts';

const COUNT = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

const hono = honoApp(COUNT);

const h3 = h3App(COUNT);

// The limit: the same bytes, pre-encoded, written in chunks of about 16 KiB
// that end on a message boundary (as a real server would write them).
const chunks: Buffer[] = [];
for (let id = 0, text = ''; id < COUNT; id++) {
  text += encodeMessage({ event: 'update', id, data: payload });
  if (text.length >= 16 * 1024 || id === COUNT - 1) {
    chunks.push(Buffer.from(text));
    text = '';
  }
}

// The same events encoded beforehand, for ssekit with a source that yields
// pre-encoded messages (what a broadcast or a replay hands the stream).
const encoded = Array.from({ length: COUNT }, (_, id) =>
  preEncode({ event: 'update', id, data: payload }),
);
const encodedBuffers = encoded.map(({ text }) => Buffer.from(text));

/**
 * A hand-written writer: serializes each event as it comes and writes about
 * 16 KiB at a time; `add` returns a promise when the socket is full.
 */
function byHand(res: ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let text = '';
  return {
    add(id: number, data: unknown): Promise<unknown> | undefined {
      text += `event: update\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
      if (text.length < 16 * 1024) return;
      const full = !res.write(text);
      text = '';
      return full ? once(res, 'drain') : undefined;
    },
    end: () => res.end(text),
  };
}

const servers: Record<string, Server> = {
  ssekit: createServer(
    toNodeHandler((request) =>
      sseResponse(
        async function* () {
          for (let id = 0; id < COUNT; id++) yield { event: 'update', id, data: payload };
        },
        { request, heartbeat: false },
      ),
    ),
  ),
  ssekitSync: createServer(
    toNodeHandler((request) =>
      sseResponse(
        // A plain generator: what the by-hand loop does, through ssekit.
        function* () {
          for (let id = 0; id < COUNT; id++) yield { event: 'update', id, data: payload };
        },
        { request, heartbeat: false },
      ),
    ),
  ),
  ssekitEncoded: createServer(
    toNodeHandler((request) =>
      sseResponse(
        // An async generator, as the row above: only the serializing differs.
        async function* () {
          yield* encoded;
        },
        { request, heartbeat: false },
      ),
    ),
  ),
  byHandLoop: createServer(async (_req, res) => {
    const out = byHand(res);
    for (let id = 0; id < COUNT; id++) {
      const full = out.add(id, payload);
      if (full) await full;
    }
    out.end();
  }),
  byHandGenerator: createServer(async (_req, res) => {
    const out = byHand(res);
    const events = (async function* () {
      for (let id = 0; id < COUNT; id++) yield { id, data: payload };
    })();
    for await (const { id, data } of events) {
      const full = out.add(id, data);
      if (full) await full;
    }
    out.end();
  }),
  byHandEncoded: createServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const events = (async function* () {
      yield* encodedBuffers;
    })();
    let parts: Buffer[] = [];
    let bytes = 0;
    for await (const part of events) {
      parts.push(part);
      bytes += part.length;
      if (bytes < 16 * 1024) continue;
      const full = !res.write(Buffer.concat(parts, bytes));
      parts = [];
      bytes = 0;
      if (full) await once(res, 'drain');
    }
    res.end(Buffer.concat(parts, bytes));
  }),
  hono: createServer(getRequestListener(hono.fetch)),
  h3: createServer(h3Node(h3)),
  betterSse: createServer(async (req, res) => {
    const session = await createSession(req, res, { keepAlive: null });
    await session.iterate(
      (function* () {
        for (let id = 0; id < COUNT; id++) yield payload;
      })(),
      { eventName: 'update' },
    );
    res.end();
  }),
  limit: createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let next = 0;
    const write = () => {
      while (next < chunks.length) {
        if (!res.write(chunks[next++])) return void res.once('drain', write);
      }
      res.end();
    };
    write();
  }),
};
const ports: Record<string, number> = {};
for (const [name, server] of Object.entries(servers)) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports[name] = (server.address() as AddressInfo).port;
}

const client = fork(`${process.cwd()}/bench/_http-client.mjs`);
const fetchEvents = (name: string) =>
  new Promise<number>((resolve, reject) => {
    client.once('message', (reply: { events?: number; error?: string }) => {
      if (reply.error) return reject(new Error(`${name}: ${reply.error}`));
      // A contender that drops events must not look fast.
      if (reply.events! < COUNT)
        return reject(new Error(`${name}: ${reply.events} of ${COUNT} events`));
      resolve(COUNT);
    });
    client.send({ port: ports[name], path: '/' });
  });

const LOOP = 'by hand: node:http, JSON per event from a loop';
const GENERATOR = 'by hand: node:http, JSON per event from an async generator';
const ENCODED = 'by hand: node:http, pre-encoded bytes from an async generator';
const figures = await compare(
  [
    {
      name: 'ssekit toNodeHandler(sseResponse)',
      ours: true,
      sameWorkAs: GENERATOR,
      run: () => fetchEvents('ssekit'),
    },
    {
      name: 'ssekit toNodeHandler(sseResponse), a plain (sync) generator',
      ours: true,
      sameWorkAs: LOOP,
      run: () => fetchEvents('ssekitSync'),
    },
    {
      name: 'ssekit toNodeHandler(sseResponse), a source of preEncode()d messages',
      ours: true,
      preEncoded: true,
      sameWorkAs: ENCODED,
      run: () => fetchEvents('ssekitEncoded'),
    },
    { name: 'hono streamSSE on @hono/node-server', run: () => fetchEvents('hono') },
    { name: 'h3 EventStream on toNodeHandler', run: () => fetchEvents('h3') },
    { name: 'better-sse session on node:http', run: () => fetchEvents('betterSse') },
    { name: LOOP, byHand: true, run: () => fetchEvents('byHandLoop') },
    { name: GENERATOR, byHand: true, run: () => fetchEvents('byHandGenerator') },
    {
      name: ENCODED,
      byHand: true,
      preEncoded: true,
      run: () => fetchEvents('byHandEncoded'),
    },
    {
      name: 'limit: node:http writing pre-encoded bytes',
      limit: true,
      run: () => fetchEvents('limit'),
    },
  ],
  ROUNDS,
);
report(
  `HTTP/1.1 on loopback: ${COUNT.toLocaleString('en-US')} events to one client`,
  'events',
  figures,
);
client.kill();
for (const server of Object.values(servers)) server.close();
process.exit(0);
