// The attackers of the slow-headers scenario, in a process of its own (their
// sockets are not the test's). Each connection sends a request's headers a
// byte at a time, `every` ms apart, and never finishes them. `count` are
// kept open: with `sustain`, one that the server drops is replaced at once,
// for `duration` ms; with `wave`, they are opened once. Prints `ready 0` once
// the first `count` are connected (or refused), then one JSON line of figures
// when the run is over, and exits.
//
// argv: url count every duration mode
import { connect } from 'node:net';

const [url = '', count = '0', every = '500', duration = '0', mode = 'sustain'] =
  process.argv.slice(2);
const { hostname, port } = new URL(url);
// Headers that never end: a field that grows by a byte each time.
const head = `GET /events HTTP/1.1\r\nhost: ${hostname}\r\naccept: text/event-stream\r\nx-slow: `;

const started = Date.now();
const stopAt = started + Number(duration);
const sockets = new Set<ReturnType<typeof connect>>();
const open = new Set<{ at: number }>();
/** How long the server held each connection it answered with a 408. */
const held: number[] = [];
/** How long the server held each one it closed without a word (refused). */
const silent: number[] = [];
const figures = { opened: 0, failedToConnect: 0 };
let ending = false;

function attack(): Promise<void> {
  return new Promise((connected) => {
    const socket = connect(Number(port), hostname);
    const self = { at: 0 };
    let sent = 0;
    let answer = '';
    let timer: ReturnType<typeof setInterval> | undefined;
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.setEncoding('latin1').on('data', (chunk) => (answer += chunk));
    socket.once('connect', () => {
      self.at = Date.now();
      open.add(self);
      figures.opened++;
      connected();
      timer = setInterval(
        () => socket.write(sent < head.length ? head[sent++]! : 'x'),
        Number(every),
      );
    });
    socket.once('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
      connected();
      if (ending) return;
      if (!open.delete(self)) figures.failedToConnect++;
      else (answer.startsWith('HTTP/1.1 408 ') ? held : silent).push(Date.now() - self.at);
      if (mode === 'sustain' && Date.now() < stopAt) void attack();
    });
    sockets.add(socket);
  });
}

// Opened in batches: a listen backlog is not what this measures.
for (let n = 0; n < Number(count); n += 100) {
  await Promise.all(Array.from({ length: Math.min(100, Number(count) - n) }, attack));
}
process.stdout.write('ready 0\n');
await new Promise((resolve) => setTimeout(resolve, Math.max(0, stopAt - Date.now())));
ending = true;
const stillOpen = [...open].map((self) => Date.now() - self.at);
for (const socket of sockets) socket.destroy();
held.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    ...figures,
    answered408: held.length,
    heldMaxMs: held.at(-1) ?? 0,
    heldMedianMs: held[Math.floor(held.length / 2)] ?? 0,
    closedSilently: silent.length,
    closedSilentlyMaxMs: Math.max(0, ...silent),
    stillOpen: stillOpen.length,
    stillOpenOldestMs: Math.max(0, ...stillOpen),
  })}\n`,
);
process.exit(0);
