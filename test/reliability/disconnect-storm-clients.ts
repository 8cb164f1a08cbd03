// The clients of the disconnect storm, in a process of their own so that
// their sockets (and file descriptors) are not the server's. Each client
// opens a raw socket, asks for one of the server's streams and vanishes
// abruptly at a random point: before the response, mid-message after a
// random number of bytes, after it stopped reading long enough for the
// server to feel backpressure, or with a TCP reset. Prints `ready 0`, then
// one JSON line of counts when all are gone, then exits.
//
// argv: url total concurrency seed
import { connect, type Socket } from 'node:net';

const [url = '', total = '0', concurrency = '0', seed = '1'] = process.argv.slice(2);
const { hostname, port } = new URL(url);
const routes = ['/generator', '/push', '/hub'];

// A small seeded generator (mulberry32): a failing storm can be replayed.
let state = Number(seed) >>> 0;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

const counts = { clients: 0, beforeResponse: 0, midStream: 0, backpressure: 0, reset: 0, bytes: 0 };

function client(): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), hostname);
    const route = pick(routes);
    const how = pick([
      'beforeResponse',
      'midStream',
      'midStream',
      'backpressure',
      'reset',
    ] as const);
    // Mid-stream cuts land at any byte: inside headers, a message or a heartbeat.
    const cutAt = Math.floor(random() * 48 * 1024);
    // Long enough, at times, for a push writer's queue to fill behind the kernel buffers.
    const stallMs = 20 + Math.floor(random() * 2500);
    let received = 0;
    let stalled = false;
    counts.clients++;
    counts[how]++;
    socket.once('close', () => resolve());
    socket.on('error', () => {});
    // A stream the server ended (a push writer's overflow) leaves a keep-alive
    // socket; a client that hangs on anyway must not stall the storm.
    socket.once('end', () => socket.destroy());
    setTimeout(() => socket.destroy(), 10_000).unref();
    socket.write(`GET ${route} HTTP/1.1\r\nhost: ${hostname}\r\naccept: text/event-stream\r\n\r\n`);
    if (how === 'beforeResponse') {
      setTimeout(() => socket.destroy(), Math.floor(random() * 5));
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      counts.bytes += chunk.length;
      if (how === 'midStream' && received >= cutAt) socket.destroy();
      else if (how === 'reset' && received >= cutAt) socket.resetAndDestroy();
      else if (how === 'backpressure' && !stalled && received > 0) {
        // Stop reading: the kernel buffers fill, the server's write() returns
        // false and its pump waits for 'drain'. Then vanish.
        stalled = true;
        socket.pause();
        setTimeout(() => socket.destroy(), stallMs);
      }
    });
  });
}

process.stdout.write('ready 0\n');
let next = 0;
async function lane(): Promise<void> {
  while (next < Number(total)) {
    next++;
    await client();
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, lane));
process.stdout.write(`${JSON.stringify(counts)}\n`);
