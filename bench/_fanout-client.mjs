// The client process of the fan-out benchmark: thousands of raw sockets to
// one server. The parent sends { op: 'open', port, count }, then publishes;
// each time every socket has received the n-th `data:` field, this process
// reports { op: 'got', n, at } with `at` from process.hrtime (the machine's
// monotonic clock, the same in both processes). { op: 'close' } ends them.
import { connect } from 'node:net';

const DATA = Buffer.from('data:');
const BATCH = 500; // connections opened at once: stays under the listen backlog
let sockets = [];
let received = [];

function open(port, count) {
  let ready = 0;
  let started = 0;
  const start = () => {
    const batchEnd = Math.min(count, started + BATCH);
    for (; started < batchEnd; started++) {
      const socket = connect(port, '127.0.0.1');
      socket.seen = 0;
      socket.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n');
      socket.once('data', () => {
        if (++ready === count) process.send({ op: 'opened' });
        else if (ready === started) start();
      });
      socket.on('data', (chunk) => {
        for (let at = chunk.indexOf(DATA); at !== -1; at = chunk.indexOf(DATA, at + 5)) {
          const n = ++socket.seen;
          received[n] = (received[n] ?? 0) + 1;
          if (received[n] === count)
            process.send({ op: 'got', n, at: String(process.hrtime.bigint()) });
        }
      });
      socket.on('error', (error) => process.send({ op: 'error', error: String(error) }));
      sockets.push(socket);
    }
  };
  start();
}

process.on('message', (message) => {
  if (message.op === 'open') open(message.port, message.count);
  if (message.op === 'close') {
    for (const socket of sockets) socket.destroy();
    sockets = [];
    received = [];
    process.send({ op: 'closed' });
  }
});
