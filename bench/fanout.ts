// Fan-out: 10,000 concurrent connections to this process, the clients in a
// second one (bench/_fanout-client.mjs). One message is published at a time;
// the latency runs from just before publish to the moment the last socket
// has it. Server memory per connection is the growth of the JS heap plus
// external memory, after a full GC, divided by the connections.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { createChannel, createSession } from 'better-sse';
import { toNodeHandler } from '../adapters/runtimes/node/index.ts';
import { createHub } from '../src/hub/index.ts';
import { encodeMessage, sseResponse } from '../src/index.ts';

const COUNT = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const MESSAGES = Number(process.env.MESSAGES ?? 60);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const message = (seq: number) => ({ seq, price: 101.5 + seq, note: 'x'.repeat(60) });

interface Contender {
  name: string;
  ours?: boolean;
  limit?: boolean;
  server: Server;
  publish(seq: number): void;
  connections(): number;
}

const hub = createHub();
const channel = createChannel();
const clients = new Set<ServerResponse>();
const contenders: Contender[] = [
  {
    name: 'ssekit hub',
    ours: true,
    server: createServer(
      toNodeHandler((request) =>
        sseResponse((context) => hub.subscribe('prices', context), { request, heartbeat: false }),
      ),
    ),
    publish: (seq) => void hub.publish('prices', { event: 'price', data: message(seq) }),
    connections: () => hub.stats().subscribers,
  },
  {
    name: 'better-sse channel',
    server: createServer(async (req, res) => {
      channel.register(await createSession(req, res, { keepAlive: null }));
    }),
    publish: (seq) => void channel.broadcast(message(seq), 'price'),
    connections: () => channel.sessionCount,
  },
  {
    name: 'limit: node:http broadcast of pre-encoded bytes',
    limit: true,
    server: createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(':\n\n');
      clients.add(res);
      res.once('close', () => clients.delete(res));
    }),
    publish: (seq) => {
      const bytes = Buffer.from(encodeMessage({ event: 'price', id: seq, data: message(seq) }));
      for (const res of clients) res.write(bytes);
    },
    connections: () => clients.size,
  },
];
// ONLY=ssekit (a name prefix) runs one contender, for a profile.
const only = process.env.ONLY;
if (only) contenders.splice(0, Infinity, ...contenders.filter((c) => c.name.startsWith(only)));
const ports = new Map<Contender, number>();
for (const contender of contenders) {
  await new Promise<void>((resolve) =>
    contender.server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve),
  );
  ports.set(contender, (contender.server.address() as AddressInfo).port);
}

type Reply = { op: string; n?: number; at?: string; error?: string };
const client = fork(`${process.cwd()}/bench/_fanout-client.mjs`);
const waitFor = (op: string, n?: number) =>
  new Promise<Reply>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${op} ${n ?? ''} within 60 s`)), 60_000);
    const onMessage = (reply: Reply) => {
      if (reply.op === 'error') console.error('client:', reply.error);
      if (reply.op !== op || (n !== undefined && reply.n !== n)) return;
      client.off('message', onMessage);
      clearTimeout(timer);
      resolve(reply);
    };
    client.on('message', onMessage);
  });
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const memory = () => {
  gc();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};

const inspector = new Session();
inspector.connect();
const post = (method: string, params?: object) =>
  new Promise<any>((resolve, reject) =>
    inspector.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
const profiler = {
  start: () => post('Profiler.enable').then(() => post('Profiler.start')),
  stop: async (file: string) =>
    writeFileSync(file, JSON.stringify((await post('Profiler.stop')).profile)),
};

const latencies = new Map(contenders.map((c) => [c, [] as number[]]));
const perConnection = new Map(contenders.map((c) => [c, [] as number[]]));
for (let round = 0; round < ROUNDS; round++) {
  for (const contender of round % 2 ? [...contenders].reverse() : contenders) {
    await settle(200);
    const before = memory();
    const opened = waitFor('opened');
    client.send({ op: 'open', port: ports.get(contender), count: COUNT });
    await opened;
    while (contender.connections() < COUNT) await settle(10);
    await settle(200);
    perConnection.get(contender)!.push((memory() - before) / COUNT);
    // PROFILE=file.cpuprofile: a CPU profile of the publishing phase alone.
    if (process.env.PROFILE) await profiler.start();
    for (let n = 1; n <= MESSAGES; n++) {
      const got = waitFor('got', n);
      const start = process.hrtime.bigint();
      contender.publish(n);
      const { at } = await got;
      latencies.get(contender)!.push(Number(BigInt(at!) - start) / 1e6);
      await settle(5);
    }
    if (process.env.PROFILE) await profiler.stop(process.env.PROFILE);
    const closed = waitFor('closed');
    client.send({ op: 'close' });
    await closed;
    for (let waited = 0; contender.connections() > 0 && waited < 10_000; waited += 10)
      await settle(10);
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const median = (values: number[]) => quantile(values, 0.5);
const peer = contenders.find((c) => !c.ours && !c.limit) ?? contenders[0]!;
const limit = contenders.find((c) => c.limit) ?? contenders[0]!;
const lines = [
  `### Fan-out: ${COUNT.toLocaleString('en-US')} connections, one message at a time (${ROUNDS} rounds × ${MESSAGES} messages)`,
  '',
  '| contender | p50 ms | × limit | p99 ms | × limit | p99 × better-sse | memory per connection | × limit |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
];
const limits = latencies.get(limit)!;
for (const contender of contenders) {
  const all = latencies.get(contender)!;
  const bytes = median(perConnection.get(contender)!);
  const name = contender.ours ? `**${contender.name}**` : contender.name;
  const [p50, p99] = [quantile(all, 0.5), quantile(all, 0.99)];
  lines.push(
    [
      name,
      p50.toFixed(1),
      (p50 / quantile(limits, 0.5)).toFixed(2),
      p99.toFixed(1),
      (p99 / quantile(limits, 0.99)).toFixed(2),
      (p99 / quantile(latencies.get(peer)!, 0.99)).toFixed(2),
      `${(bytes / 1024).toFixed(1)} KiB`,
      (bytes / median(perConnection.get(limit)!)).toFixed(2),
    ]
      .join(' | ')
      .replace(/^/, '| ')
      .concat(' |'),
  );
}
lines.push('');
console.log(lines.join('\n'));
client.kill();
process.exit(0);
