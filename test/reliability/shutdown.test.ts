import { setMaxListeners } from 'node:events';
import { expect, test } from 'vitest';
import {
  bundle,
  type Child,
  follower,
  record,
  scale,
  sequenceFaults,
  start,
  until,
} from './scenario-helpers.ts';

// Graceful shutdown under load: a server process with many open streams gets
// SIGTERM. `serve`'s close() must end every stream cleanly (a normal end of
// the chunked body, onClose once each) well within the grace period; the
// process is restarted on the same port and every client resumes with its
// Last-Event-ID: no number is missed or repeated.
const STREAMS = scale(500, 1_000);
const GRACE_MS = 5_000;

test(`SIGTERM with ${STREAMS} open streams: all close cleanly within ${GRACE_MS} ms, and resume after the restart`, async () => {
  const fixture = await bundle('test/reliability/shutdown-server.ts');
  const env = { GRACE: String(GRACE_MS), INTERVAL: '200' };
  let server: Child = await start(fixture, env);
  const url = server.url;
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // one signal for every client, on purpose
  const clients = Array.from({ length: STREAMS }, () =>
    follower(() => url, Number.POSITIVE_INFINITY, stop.signal),
  );
  const least = () => Math.min(...clients.map((client) => client.received.length));
  await until(() => least() >= 3, 60_000, 'every client to receive 3 events');

  server.process.kill('SIGTERM');
  const code = await server.exited;
  const report = JSON.parse(server.lines.at(-1)!);
  const first = server.errors;
  const beforeRestart = clients.map((client) => client.received.length);
  server = await start(fixture, { ...env, PORT: String(server.port) });
  const target = Math.max(...beforeRestart) + 3;
  await until(() => least() >= target, 60_000, 'every client to resume past the restart');
  stop.abort();
  await Promise.all(clients.map((client) => client.done));
  server.process.kill('SIGTERM');
  await server.exited;

  expect(code).toBe(0);
  // Nothing on stderr: no unhandled rejection, no false leak warning for the
  // shutdown signal that every open stream listens to.
  expect(server.errors.join('') + first.join('')).toBe('');
  expect(report.openAtSignal).toBe(STREAMS);
  expect(report.closed).toBe(report.opened);
  expect(report.closeMs).toBeLessThan(GRACE_MS);
  // Each client saw its stream end normally at the shutdown, not an error.
  for (const client of clients) expect(client.cleanEnds).toBeGreaterThanOrEqual(1);
  const faults = clients.map((client) => sequenceFaults(client.received, client.received.at(-1)!));
  for (const fault of faults) expect(fault).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0 });
  record('graceful shutdown (SIGTERM)', {
    openStreams: report.openAtSignal,
    closedOnSignal: report.closed,
    closeReasons: report.reasons,
    closeMs: report.closeMs,
    graceMs: GRACE_MS,
    eventsReceived: clients.reduce((sum, client) => sum + client.received.length, 0),
    lost: faults.reduce((sum, f) => sum + f.lost, 0),
    duplicated: faults.reduce((sum, f) => sum + f.duplicated, 0),
  });
}, 180_000);
