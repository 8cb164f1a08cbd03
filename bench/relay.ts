// An SSE relay (an AI gateway: a model provider's stream read, each event
// transformed, the result served again), three ways: ssekit's recipe, the
// same written by hand on eventsource-parser, and a byte pipe (the limit).
// The upstream (bench/_relay-upstream.ts), each relay run and the clients
// (bench/_relay-clients.ts, which check every event) are processes of their
// own on the same Node; the relays alternate round by round.
// - bulk: STREAMS streams × EVENTS deltas as fast as they go: events/s and
//   the relay's CPU per event;
// - paced: PACED_STREAMS streams × RATE deltas/s for about SECONDS: latency,
//   the relay's CPU per event, and its memory per open stream.
// Usage: npm run bench:relay  (env: ROUNDS, STREAMS, EVENTS, PACED_STREAMS,
// RATE, SECONDS, ONLY=bulk|paced, SMALL=1 for a smoke run of seconds,
// PROFILE=<folder> for --cpu-prof of each relay process).
import { cpus, loadavg } from 'node:os';
import { runClients } from './_relay-clients.ts';
import { CONTENDERS, type ContenderName, runRelay } from './_relay-contenders.ts';
import { bulkTable, pacedTable, type Run } from './_relay-report.ts';
import { runUpstream } from './_relay-upstream.ts';
import { env, monotonic, type Reply, settle, Worker } from './_resumable-process.ts';

const small = process.env.SMALL === '1';
const ROUNDS = env('ROUNDS', small ? 1 : 3);
const STREAMS = env('STREAMS', small ? 20 : 100);
const EVENTS = env('EVENTS', small ? 500 : 2000);
const PACED_STREAMS = env('PACED_STREAMS', small ? 100 : 1000);
const RATE = env('RATE', 50);
const SECONDS = env('SECONDS', small ? 2 : 10);
const only = process.env.ONLY;
const profile = process.env.PROFILE;

async function main() {
  const upstream = new Worker('upstream');
  const clients = new Worker('clients');
  await Promise.all([upstream.ready, clients.ready]);
  const url = `http://127.0.0.1:${(await upstream.call('init')).port}`;
  const cpuOf = async (worker: Worker) => (await worker.call('cpu')).cpu as number;
  const sent = async () => (await upstream.call('sent')).sent as number;
  const verified = (figures: Reply, what: string) => {
    if (!figures.difference) return figures;
    console.error(`${what}: the output differs from what it must be.\n${figures.difference}`);
    process.exit(1);
  };

  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}; upstream, each relay run and the clients in processes of their own.\n`,
  );

  // One relay process, warmed up with a bulk run of the measured size (what
  // the first use of each path compiles and allocates once, at that many
  // connections, is not measured: after 20 short streams, the limit still
  // took twice the CPU per event it takes warm), then `run`.
  const withRelay = async (
    contender: ContenderName,
    mode: string,
    run: (relay: Worker, port: number, transformed: boolean) => Promise<Run>,
  ) => {
    const relay = new Worker(
      'relay',
      profile ? `${profile}/${contender.replace(/\W+/g, '-')}-${mode}` : undefined,
    );
    await relay.ready;
    const { port } = await relay.call('init', { contender, upstream: url });
    const transformed = contender !== 'limit';
    await clients.call('open', { port, count: STREAMS, n: EVENTS, transformed });
    verified(await clients.call('finish', { timeout: 30_000 }), `${contender} warm-up`);
    await settle(100);
    try {
      return await run(relay, port, transformed);
    } finally {
      await relay.stop();
    }
  };

  // Every process's CPU over a window, as a share of one core: a client or
  // upstream near 100% would be what limits the run, not the relay.
  const usage = async (relay: Worker) => ({
    relay: await cpuOf(relay),
    clients: await cpuOf(clients),
    upstream: await cpuOf(upstream),
    at: monotonic(),
  });
  const loads: number[] = [];
  const shares = (a: Awaited<ReturnType<typeof usage>>, b: typeof a) => {
    const wall = (b.at - a.at) * 1000;
    loads.push(loadavg()[0]!);
    const share = (key: 'relay' | 'clients' | 'upstream') =>
      `${key} ${Math.round(((b[key] - a[key]) / wall) * 100)}%`;
    return `CPU ${share('relay')}, ${share('clients')}, ${share('upstream')} of a core; load ${loadavg()[0]!.toFixed(1)}`;
  };

  const order = (round: number) => (round % 2 ? [...CONTENDERS].reverse() : CONTENDERS);

  if (!only || only === 'bulk') {
    const runs: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const contender of order(round)) {
        const run = await withRelay(contender, 'bulk', async (relay, port, transformed) => {
          const [before, sent0] = [await usage(relay), await sent()];
          await clients.call('open', { port, count: STREAMS, n: EVENTS, transformed });
          const figures = verified(
            await clients.call('finish', { timeout: 120_000 }),
            `bulk ${contender}`,
          );
          const [after, sent1] = [await usage(relay), await sent()];
          const run: Run = {
            contender,
            events: sent1 - sent0,
            ms: figures.ms,
            relayCpu: after.relay - before.relay,
            p50: NaN,
            p99: NaN,
            max: NaN,
          };
          console.error(
            `bulk ${contender} round ${round + 1}: ${Math.round(run.events / (run.ms / 1000)).toLocaleString('en-US')} events/s, ${(run.relayCpu / run.events).toFixed(2)} µs/event; ${shares(before, after)}`,
          );
          return run;
        });
        runs.push(run);
      }
    }
    bulkTable(runs, STREAMS, EVENTS, ROUNDS);
  }

  if (!only || only === 'paced') {
    // Long enough that about SECONDS remain once the streams have sent for
    // a while and the memory is taken.
    const n = RATE * (SECONDS + 2);
    const runs: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const contender of order(round)) {
        const run = await withRelay(contender, 'paced', async (relay, port, transformed) => {
          const base = await relay.call('memory');
          const opened = await clients.call('open', {
            port,
            count: PACED_STREAMS,
            n,
            rate: RATE,
            transformed,
          });
          await upstream.call('go');
          await settle(1500);
          const open = await relay.call('memory');
          // The GC above paused the relay: the window starts after it.
          await settle(500);
          await clients.call('mark');
          const [before, sent0] = [await usage(relay), await sent()];
          const figures = verified(
            await clients.call('finish', { timeout: (SECONDS + 30) * 1000 }),
            `paced ${contender}`,
          );
          const [after, sent1] = [await usage(relay), await sent()];
          const run: Run = {
            contender,
            events: sent1 - sent0,
            ms: after.at - before.at,
            relayCpu: after.relay - before.relay,
            p50: figures.p50,
            p99: figures.p99,
            max: figures.max,
            heap: (open.heap - base.heap) / PACED_STREAMS,
            rss: (open.rss - base.rss) / PACED_STREAMS,
          };
          console.error(
            `paced ${contender} round ${round + 1}: opened in ${Math.round(opened.ms)} ms, p50 ${run.p50.toFixed(1)} p99 ${run.p99.toFixed(1)} max ${run.max.toFixed(1)} ms, ${(run.relayCpu / run.events).toFixed(2)} µs/event, ${(run.heap! / 1024).toFixed(1)} KiB/stream; ${shares(before, after)}`,
          );
          return run;
        });
        runs.push(run);
      }
    }
    pacedTable(runs, PACED_STREAMS, RATE, ROUNDS);
  }

  console.log(
    `The machine's 1-minute load average over the runs: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} (${cpus().length} cores, shared).\n`,
  );
  await Promise.all([upstream.stop(), clients.stop()]);
  process.exit(0);
}

const roles: Record<string, () => void> = {
  upstream: runUpstream,
  relay: runRelay,
  clients: runClients,
};
const role = process.env.RS_ROLE;
if (role) {
  // A parent that crashed leaves no server behind.
  process.once('disconnect', () => process.exit(1));
  roles[role]!();
} else await main();
