// Where a connection's memory goes on Node: the same raw-socket clients
// (bench/_fanout-client.mjs) held open against handlers that add one layer
// at a time, from bare node:http to an sseResponse on a hub subscription.
// Run: node bench/run.mjs connection-memory [connections]
import { fork } from 'node:child_process';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '../adapters/runtimes/node/index.ts';
import { createHub } from '../src/hub/index.ts';
import { sseResponse } from '../src/index.ts';

const COUNT = Number(process.argv[2] ?? 2000);
const hub = createHub();
const preamble = new TextEncoder().encode(':\n\n');
const layers: [string, RequestListener][] = [
  [
    'node:http alone',
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(':\n\n');
    },
  ],
  [
    '+ a Fetch Request (headers, signal)',
    (req, res) => {
      const headers = new Headers(req.headers as Record<string, string>);
      const signal = new AbortController().signal;
      (res as { request?: Request }).request = new Request(`http://x${req.url}`, {
        headers,
        signal,
      });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(':\n\n');
    },
  ],
  [
    'toNodeHandler, a bare Response and ReadableStream',
    toNodeHandler(
      () =>
        new Response(
          new ReadableStream(
            { start: (controller) => controller.enqueue(preamble) },
            { highWaterMark: 0 },
          ),
          { headers: { 'content-type': 'text/event-stream' } },
        ),
    ) as RequestListener,
  ],
  [
    'toNodeHandler(sseResponse), a source that waits',
    toNodeHandler((request) =>
      sseResponse(
        async function* () {
          await new Promise(() => {});
        },
        { request, heartbeat: false },
      ),
    ) as RequestListener,
  ],
  [
    'toNodeHandler(sseResponse), a source that sent an event and waits',
    toNodeHandler((request) =>
      sseResponse(
        async function* () {
          yield { data: 'hello' };
          await new Promise(() => {});
        },
        { request, heartbeat: false },
      ),
    ) as RequestListener,
  ],
  [
    'toNodeHandler(sseResponse) on a hub subscription',
    toNodeHandler((request) =>
      sseResponse((context) => hub.subscribe('prices', context), { request, heartbeat: false }),
    ) as RequestListener,
  ],
];

const client = fork(`${process.cwd()}/bench/_fanout-client.mjs`);
const reply = (op: string) =>
  new Promise<void>((resolve) => {
    const onMessage = (message: { op: string }) => {
      if (message.op !== op) return;
      client.off('message', onMessage);
      resolve();
    };
    client.on('message', onMessage);
  });
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const memory = () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};

console.log(`### Memory per connection on Node, ${COUNT.toLocaleString('en-US')} connections\n`);
console.log('| handler | heap + external per connection |\n|---|---:|');
for (const [name, handler] of layers) {
  const server = createServer(handler);
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve),
  );
  await settle(300);
  const before = memory();
  const opened = reply('opened');
  client.send({ op: 'open', port: (server.address() as AddressInfo).port, count: COUNT });
  await opened;
  await settle(300);
  console.log(`| ${name} | ${((memory() - before) / COUNT / 1024).toFixed(1)} KiB |`);
  const closed = reply('closed');
  client.send({ op: 'close' });
  await closed;
  server.closeAllConnections();
  server.close();
  await settle(300);
}
console.log('');
client.kill();
process.exit(0);
