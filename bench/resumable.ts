// Resumable streams against Vercel's resumable-stream, on one private
// redis-server, producer and follower in processes of their own
// (bench/_resumable-worker.ts), the contenders alternating round by round:
// - streaming: STREAMS concurrent streams at RATE chunks/s each, one follower
//   each: chunk latency from the producer's write to the follower's read, CPU
//   per chunk of each process (and of redis-server), memory per active stream;
// - resume: time from the request to the first replayed byte of a stream
//   RESUME_CHUNKS long whose producer another process holds;
// - faults: the follower's Redis connections killed, the producer's process
//   killed, a resume after the end.
// Usage: npm run bench:resumable  (env: STREAMS=200,1000, RATE, SECONDS, ROUNDS,
// ONLY=streaming|resume|faults, CONTENDERS=ssekit, PROFILE=<folder> for
// --cpu-prof of the streaming processes, START=drain for a producer whose
// first client stays and reads; by default it left, as on a reload).
import { cpus, loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { startRedis } from '../test/node/hub/redis-server.ts';
import { type ContenderName, SSEKIT_LEASE, SSEKIT_STORE } from './_resumable-contenders.ts';
import { env, monotonic, settle, Worker } from './_resumable-process.ts';
import { faultsTable, type Run, resumeTable, streamingTable } from './_resumable-report.ts';
import { runWorker } from './_resumable-worker.ts';

async function main() {
  // STREAMS=200,1000: a table per count.
  const COUNTS = (process.env.STREAMS ?? '200,1000').split(',').map(Number);
  const RATE = env('RATE', 50);
  const SECONDS = env('SECONDS', 10);
  const ROUNDS = env('ROUNDS', 3);
  const RESUME_CHUNKS = env('RESUME_CHUNKS', 5000);
  const RESUMES = env('RESUMES', 20);
  const only = process.env.ONLY;
  const profile = process.env.PROFILE;
  // CONTENDERS=ssekit runs one (for a profile).
  const contenders = (process.env.CONTENDERS ?? 'resumable-stream,ssekit').split(
    ',',
  ) as ContenderName[];
  const single = (contender: ContenderName) => contender === 'ssekit' && SSEKIT_STORE === 'memory';

  const redis = await startRedis();
  const admin = new Redis(redis.url);
  const info = async (section: string, field: string) => {
    const text = (await admin.info(section)) as string;
    return Number(text.match(new RegExp(`${field}:([\\d.]+)`))![1]);
  };
  // Calls of each Redis command so far (INFO commandstats).
  const redisCalls = async () => {
    const text = (await admin.info('commandstats')) as string;
    return new Map(
      [...text.matchAll(/cmdstat_(\S+):calls=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]),
    );
  };
  const callsPer = (before: Map<string, number>, after: Map<string, number>, chunks: number) =>
    [...after]
      .map(([name, calls]) => [name, (calls - (before.get(name) ?? 0)) / chunks] as const)
      .filter(([name, per]) => per >= 0.01 && name !== 'info')
      .sort((a, b) => b[1] - a[1]);
  const redisCpu = async () =>
    (await info('cpu', 'used_cpu_user')) + (await info('cpu', 'used_cpu_sys'));

  // A producer and a follower (one process when the store is in memory), ready.
  const pair = async (contender: ContenderName, profileRun?: string) => {
    await admin.flushall();
    const producer = new Worker('producer', profileRun);
    const follower = single(contender) ? producer : new Worker('follower', profileRun);
    await Promise.all([producer.ready, follower.ready]);
    await producer.call('init', { contender, url: redis.url, role: 'producer' });
    if (follower !== producer)
      await follower.call('init', { contender, url: redis.url, role: 'follower' });
    const stop = () => Promise.all([producer.stop(), follower.stop()]);
    return { producer, follower, stop };
  };
  // Kills every connection of the follower's (by their names), once or for `outage` ms.
  const killFollower = async (outage = 0) => {
    const until = monotonic() + outage;
    do {
      const list = (await admin.client('LIST')) as string;
      for (const line of list.split('\n')) {
        const id = line.match(/^id=(\d+) .*name=follower-/)?.[1];
        if (id) await admin.client('KILL', 'ID', id).catch(() => {});
      }
      if (outage) await settle(10);
    } while (monotonic() < until);
  };

  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, redis-server ${((await admin.info('server')) as string).match(/redis_version:(\S+)/)?.[1]}`;
  console.log(
    `Machine: ${machine}; the starting client ${process.env.START === 'drain' ? 'reads its answer' : 'left'}; ssekit on its ${SSEKIT_STORE} store${single('ssekit') ? ' (producer and follower in one process)' : ''}.\n`,
  );

  for (const STREAMS of !only || only === 'streaming' ? COUNTS : []) {
    const runs: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const contender of round % 2 ? [...contenders].reverse() : contenders) {
        const ids = Array.from({ length: STREAMS }, (_, i) => `chat-${round}-${i}`);
        const { producer, follower, stop } = await pair(contender, profile);
        const both = producer === follower;
        // A few streams from start to end first: what the first use of
        // each path allocates once (compiled code, scripts, buffers) is not
        // counted as memory per stream.
        const warm = Array.from({ length: 20 }, (_, i) => `warm-${round}-${i}`);
        await producer.call('start', { ids: warm });
        await follower.call('follow', { ids: warm });
        await producer.call('tick', { ids: warm, rate: RATE, perStream: 20 });
        await producer.call('end');
        await follower.call('tally', { wait: 5000 });
        await Promise.all([producer.call('forget'), both || follower.call('forget')]);
        const base = {
          producer: await producer.call('memory'),
          follower: both ? undefined : await follower.call('memory'),
          redis: await info('memory', 'used_memory'),
        };
        const load = loadavg()[0]!;
        await producer.call('start', { ids });
        await follower.call('follow', { ids });
        await producer.call('tick', { ids, rate: RATE });
        await settle(2000);
        await Promise.all([producer.call('mark'), both || follower.call('mark')]);
        const [cpu0, calls0] = [await redisCpu(), await redisCalls()];
        await settle(SECONDS * 1000);
        const [cpu1, calls1] = [await redisCpu(), await redisCalls()];
        const [p, f] = await Promise.all([
          producer.call('measure'),
          both ? undefined : follower.call('measure'),
        ]);
        const redisMemory = await info('memory', 'used_memory');
        await producer.call('end');
        const tally = await follower.call('tally', { wait: 10_000 });
        await stop();
        const run: Run = {
          contender,
          round,
          streams: STREAMS,
          seconds: SECONDS,
          producer: p as unknown as Run['producer'],
          follower: (f ?? p) as unknown as Run['follower'],
          both,
          memory: {
            producer: (p.heap - base.producer.heap) / STREAMS,
            producerRss: (p.rss - base.producer.rss) / STREAMS,
            follower: f ? (f.heap - base.follower!.heap) / STREAMS : 0,
            followerRss: f ? (f.rss - base.follower!.rss) / STREAMS : 0,
            redis: (redisMemory - base.redis) / STREAMS,
          },
          redisCpu: (cpu1 - cpu0) * 1e6,
          redisCalls: callsPer(calls0, calls1, p.writes),
          load: [load, loadavg()[0]!],
          tally: tally as unknown as Run['tally'],
        };
        runs.push(run);
        console.error(
          `streaming ${STREAMS} ${contender} round ${round + 1} (load ${load.toFixed(1)}): p50 ${(f ?? p).p50.toFixed(1)} p99 ${(f ?? p).p99.toFixed(1)} ms, event loop lag p99 ${p.lagP99.toFixed(1)} / ${(f ?? p).lagP99.toFixed(1)} ms, ${p.writes} written, ${(f ?? p).reads} read, ${tally.hung} hung`,
        );
      }
    }
    streamingTable(runs, RATE);
  }

  if (!only || only === 'resume') {
    const samples = new Map<ContenderName, number[]>(contenders.map((c) => [c, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const contender of round % 2 ? [...contenders].reverse() : contenders) {
        const { producer, follower, stop } = await pair(contender);
        await producer.call('start', { ids: ['long'] });
        await producer.call('fill', { id: 'long', count: RESUME_CHUNKS });
        const { full, samples: times } = await follower.call('firstByte', {
          id: 'long',
          times: RESUMES,
          expect: RESUME_CHUNKS,
        });
        if (full !== RESUME_CHUNKS)
          console.error(
            `resume ${contender}: the full read had ${full} of ${RESUME_CHUNKS} chunks`,
          );
        samples.get(contender)!.push(...times);
        await stop();
      }
    }
    resumeTable(samples, RESUME_CHUNKS);
  }

  if (!only || only === 'faults') {
    const faults = new Map<string, Map<ContenderName, string>>();
    const note = (fault: string, contender: ContenderName, text: string) => {
      if (!faults.has(fault)) faults.set(fault, new Map());
      faults.get(fault)!.set(contender, text);
      console.error(`${fault} | ${contender}: ${text}`);
    };
    const FAULT_STREAMS = 20;
    const CHUNKS = 100;
    for (const contender of contenders) {
      const ids = Array.from({ length: FAULT_STREAMS }, (_, i) => `fault-${i}`);
      for (const [name, when, outage] of [
        ['follower connections killed mid-stream', 'mid', 0],
        ['follower connections killed mid-stream, 300 ms outage', 'mid', 300],
        ['follower connections killed at the end', 'end', 0],
        ['follower connections killed at the end, 300 ms outage', 'end', 300],
      ] as const) {
        if (single(contender)) {
          note(name, contender, 'n/a (memory store, one process)');
          continue;
        }
        const { producer, follower, stop } = await pair(contender);
        await producer.call('start', { ids });
        await follower.call('follow', { ids });
        const ticking = producer.call('tick', { ids, rate: RATE, perStream: CHUNKS });
        if (when === 'mid') {
          await settle(((CHUNKS / RATE) * 1000) / 2);
          await killFollower(outage);
          await ticking;
          await producer.call('end');
        } else {
          await ticking;
          await Promise.all([producer.call('end'), killFollower(outage)]);
        }
        const t = await follower.call('tally', { wait: 10_000, chunks: CHUNKS });
        note(
          name,
          contender,
          `${t.lossy} of ${t.streams} streams lost chunks (${t.lost} chunks), ${t.duplicates} duplicates, ${t.hung} hung after 10 s${t.errored ? `, ${t.errored} errored` : ''}`,
        );
        await stop();
      }

      if (single(contender))
        note('producer process killed', contender, 'n/a (memory store, one process)');
      else {
        const { producer, follower, stop } = await pair(contender);
        await producer.call('start', { ids });
        await follower.call('follow', { ids });
        await producer.call('tick', { ids, rate: RATE });
        await settle(1000);
        producer.child.kill('SIGKILL');
        const since = monotonic();
        const t = await follower.call('tally', { wait: 15_000, since });
        const again = await follower.call('resumeOnce', { id: ids[0], wait: 5000 });
        note(
          'producer process killed',
          contender,
          `${t.hung} of ${t.streams} followers open after 15 s${t.errored ? `, ${t.errored} ended with an error` : ''}${t.closed ? `, ${t.closed} closed` : ''}${t.endings.length ? ` (end: ${t.endings.join(', ')})` : ''}${t.closeMs ? ` (the last ${Math.round(t.closeMs)} ms after the kill)` : ''}; a new resume: ${again.outcome} after ${Math.round(again.ms)} ms with ${again.chunks} chunks`,
        );
        await stop();
      }

      const { producer, follower, stop } = await pair(contender);
      await producer.call('start', { ids: ['ended'] });
      await producer.call('tick', { ids: ['ended'], rate: 200, perStream: 20 });
      await producer.call('end');
      await settle(500);
      const after = await follower.call('resumeOnce', { id: 'ended', wait: 3000 });
      note(
        'resume after the end (20 chunks)',
        contender,
        `${after.outcome}, ${after.chunks} chunks`,
      );
      await stop();
    }
    faultsTable(faults, contenders, SSEKIT_LEASE);
  }

  admin.disconnect();
  await redis.stop();
  process.exit(0);
}

if (process.env.RS_ROLE) runWorker();
else await main();
