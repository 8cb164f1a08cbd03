// The model provider of the relay benchmark, in a process of its own:
// GET /s/<n> streams `start`, n deltas and `done`, each with an id. Bulk
// (no query): written as fast as the socket takes them. Paced
// (?rate=<per s>&phase=<ms>): `start` at once, then, from the next `go`, one
// delta every 1000/rate ms, the first after `phase` ms, so that many streams
// spread their sends over the period.
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { common } from './_relay-process.ts';
import { answer, monotonic } from './_resumable-process.ts';

// About what a socket write takes at once: a bulk stream sends what is
// ready in writes of this size, as a provider's server would.
const BATCH = 16 * 1024;

let sent = 0;

/** Every 10th delta is empty (a keep-alive token): the relays drop it. */
export const deltaText = (k: number) => (k % 10 ? `token ${k} ` : '');

// `t`: the send time on the machine's monotonic clock (ms, the same in every
// process; wall-clock time can be slewed between two reads), for latency.
const delta = (k: number, t: number) =>
  `event: delta\nid: ${k}\ndata: {"i":${k},"text":"${deltaText(k)}","t":${t}}\n\n`;
const start = 'event: start\nid: 0\ndata: {"model":"m"}\n\n';
const done = (n: number) => `event: done\nid: ${n + 1}\ndata: [DONE]\n\n`;
const stamp = () => Math.round(monotonic() * 1000) / 1000;

async function bulk(res: ServerResponse, n: number) {
  let k = 1;
  let text = start;
  sent++;
  while (k <= n) {
    const t = stamp();
    while (k <= n && text.length < BATCH) {
      text += delta(k++, t);
      sent++;
    }
    if (k > n) break;
    if (!res.write(text)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    // Else a turn for the other streams, as a server with many would give.
    else await new Promise(setImmediate);
    if (res.destroyed) return;
    text = '';
  }
  sent++;
  res.end(text + done(n));
}

// Paced streams wait for `go` to send their deltas, all from the same
// moment: a relay busy with a thousand streams accepts new connections
// slowly, so streams opened while others already send would neither start
// together nor all be open for the measured window.
interface Paced {
  res: ServerResponse;
  n: number;
  period: number;
  phase: number;
  /** The next delta, and when it is due: origin + phase + (k - 1) × period. */
  k: number;
  due: number;
}
let waiting: Paced[] = [];

function paced(res: ServerResponse, n: number, rate: number, phase: number) {
  res.write(start);
  sent++;
  waiting.push({ res, n, period: 1000 / rate, phase, k: 1, due: 0 });
}

// One timer for all streams, every millisecond, sends what is due: a timer
// per send cost the upstream about a fifth more CPU per event, and on two
// cores the upstream must leave the relay its share. A tick that runs late
// sends what it missed: lateness never pushes the later sends back.
function tick(streams: Paced[]) {
  const now = monotonic();
  let open = 0;
  for (const stream of streams) {
    const { res, n } = stream;
    while (stream.k <= n && stream.due <= now && !res.destroyed) {
      res.write(delta(stream.k++, stamp()));
      sent++;
      stream.due += stream.period;
    }
    if (stream.k > n && !res.writableEnded && !res.destroyed) {
      res.end(done(n));
      sent++;
    }
    if (!res.writableEnded && !res.destroyed) streams[open++] = stream;
  }
  streams.length = open;
  if (open) setTimeout(tick, 1, streams);
}

function go() {
  const at = monotonic();
  for (const stream of waiting) stream.due = at + stream.phase;
  tick(waiting);
  waiting = [];
}

export function runUpstream() {
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://upstream');
    const n = Number(url.pathname.match(/^\/s\/(\d+)$/)?.[1]);
    if (!Number.isSafeInteger(n)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const rate = Number(url.searchParams.get('rate'));
    if (rate) paced(res, n, rate, Number(url.searchParams.get('phase')));
    else bulk(res, n).catch(() => res.destroy());
  });
  answer({
    async init() {
      server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
      await once(server, 'listening');
      return { port: (server.address() as AddressInfo).port };
    },
    async sent() {
      return { sent };
    },
    async go() {
      go();
      return {};
    },
    ...common(() => server.closeAllConnections()),
  });
}
