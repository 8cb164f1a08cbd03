// HTTP/1.1 on loopback, Node: events per second delivered to one client
// (a second process, bench/_http-client.mjs) reading as fast as it can.
// Every server runs in this process on its own port; the same 200,000
// events (event name, numeric id, ~100 bytes of JSON) end each response.
import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createSession } from 'better-sse';
import { toNodeHandler as h3Node } from 'h3';
import { toNodeHandler } from '../adapters/node.ts';
import { encodeMessage, sseResponse } from '../src/index.ts';
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

const figures = await compare(
  [
    { name: 'ssekit toNodeHandler(sseResponse)', ours: true, run: () => fetchEvents('ssekit') },
    { name: 'hono streamSSE on @hono/node-server', run: () => fetchEvents('hono') },
    { name: 'h3 EventStream on toNodeHandler', run: () => fetchEvents('h3') },
    { name: 'better-sse session on node:http', run: () => fetchEvents('betterSse') },
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
