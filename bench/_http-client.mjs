// The client process of the HTTP benchmarks: one raw socket per request,
// reading as fast as it can, so the server alone is measured. The parent
// sends { port, path } over IPC; the reply is { bytes, events, ms }.
// Events are counted as `data:` fields with Buffer#indexOf (native, the same
// cost for every contender).
import { connect } from 'node:net';

const DATA = Buffer.from('data:');
// The end of a chunked body. Some servers close the socket seconds after it
// (an idle keep-alive wait), so the end is read here rather than at 'close'.
const LAST = Buffer.from('\r\n0\r\n\r\n');

process.on('message', ({ port, path }) => {
  const start = performance.now();
  let bytes = 0;
  let events = 0;
  let tail = Buffer.alloc(0);
  const socket = connect(port, '127.0.0.1', () => {
    socket.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`);
  });
  socket.on('data', (chunk) => {
    bytes += chunk.length;
    for (let at = chunk.indexOf(DATA); at !== -1; at = chunk.indexOf(DATA, at + 5)) events++;
    // A field cut between two reads: look at the seam.
    if (Buffer.concat([tail.subarray(-4), chunk.subarray(0, 4)]).indexOf(DATA) !== -1) events++;
    tail = Buffer.concat([tail, chunk.subarray(-LAST.length)]).subarray(-LAST.length);
    if (tail.equals(LAST)) finish();
  });
  socket.on('error', (error) => process.send({ error: String(error) }));
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    process.send({ bytes, events, ms: performance.now() - start });
    socket.destroy();
  };
  socket.on('close', finish);
});
