// The tables of the resumable-stream benchmark: medians over rounds, and
// ssekit's figures as ratios to resumable-stream's.
import { cpus } from 'node:os';
import { quantile } from './_harness.ts';
import type { ContenderName } from './_resumable-contenders.ts';

interface ProcessFigures {
  cpu: number;
  writes: number;
  reads: number;
  p50: number;
  p99: number;
  max: number;
  bytesPerStream: number;
}

/** One streaming run of one contender. */
export interface Run {
  contender: ContenderName;
  round: number;
  streams: number;
  seconds: number;
  producer: ProcessFigures;
  follower: ProcessFigures;
  /** Producer and follower in one process (the memory store): the producer's figures hold both. */
  both: boolean;
  memory: {
    producer: number;
    producerRss: number;
    follower: number;
    followerRss: number;
    redis: number;
  };
  /** µs of redis-server's CPU in the measured window. */
  redisCpu: number;
  /** The machine's 1-minute load average before and after the run (2 cores: above 2, processes wait for a core). */
  load: [number, number];
  /** Redis commands per chunk written, by name, in the measured window. */
  redisCalls: (readonly [string, number])[];
  tally: { hung: number; lossy: number; lost: number };
}

const median = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ratio = (ours: number, theirs: number) =>
  Number.isFinite(ours / theirs) ? `${(ours / theirs).toFixed(2)}x` : '';

function print(lines: string[]) {
  const text = lines.join('\n');
  console.log(text);
  return text;
}

/** Latency, CPU per chunk and memory per active stream, medians over the rounds. */
export function streamingTable(runs: Run[], rate: number): string {
  const of = (contender: ContenderName) => runs.filter((r) => r.contender === contender);
  const figures = (contender: ContenderName) => {
    const mine = of(contender);
    const m = (pick: (r: Run) => number) => median(mine.map(pick));
    const perWrite = (cpu: number, r: Run) => cpu / r.producer.writes;
    return {
      rounds: mine.length,
      p50: m((r) => r.follower.p50),
      p99: m((r) => r.follower.p99),
      delivered: m((r) => r.follower.reads / r.seconds / r.streams),
      producerCpu: m((r) => perWrite(r.producer.cpu, r)),
      followerCpu: m((r) => (r.both ? 0 : r.follower.cpu / r.follower.reads)),
      redisCpu: m((r) => perWrite(r.redisCpu, r)),
      producerMemory: m((r) => r.memory.producer),
      producerRss: m((r) => r.memory.producerRss),
      followerMemory: m((r) => r.memory.follower),
      followerRss: m((r) => r.memory.followerRss),
      redisMemory: m((r) => r.memory.redis),
      streamed: m((r) => r.producer.bytesPerStream),
      hung: mine.reduce((sum, r) => sum + r.tally.hung, 0),
      lost: mine.reduce((sum, r) => sum + r.tally.lost, 0),
      both: mine.some((r) => r.both),
    };
  };
  const theirs = figures('resumable-stream');
  const ours = figures('ssekit');
  const first = runs[0]!;
  const calls = (contender: ContenderName) => {
    const last = of(contender).at(-1);
    return last ? last.redisCalls.map(([name, per]) => `${name} ${per.toFixed(2)}`).join(', ') : '';
  };
  const cpuRow = (name: string, f: typeof ours, peer?: typeof ours) => {
    const cpu = (g: typeof ours) => g.producerCpu + g.followerCpu;
    return `| ${name} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${peer ? ratio(f.p99, peer.p99) : ''} | ${f.delivered.toFixed(1)} | ${f.producerCpu.toFixed(1)} + ${f.followerCpu.toFixed(1)}${f.both ? ' (one process)' : ''} | ${peer ? ratio(cpu(f), cpu(peer)) : ''} | ${f.redisCpu.toFixed(1)} | ${peer ? ratio(cpu(f) + f.redisCpu, cpu(peer) + peer.redisCpu) : ''} | ${f.lost} / ${f.hung} |`;
  };
  const memoryRow = (name: string, f: typeof ours, peer?: typeof ours) => {
    const mine = (g: typeof ours) => g.producerMemory + g.followerMemory;
    return `| ${name} | ${kib(f.producerMemory)} | ${kib(f.producerRss)} | ${kib(f.followerMemory)} | ${kib(f.followerRss)} | ${peer ? ratio(mine(f), mine(peer)) : ''} | ${kib(f.redisMemory)} | ${peer ? ratio(mine(f) + f.redisMemory, mine(peer) + peer.redisMemory) : ''} | ${(f.producerMemory / f.streamed).toFixed(2)} |`;
  };
  return print([
    `### Streaming: ${first.streams.toLocaleString('en-US')} streams × ${rate} chunks/s, one follower each (medians of ${ours.rounds} rounds × ${first.seconds} s measured)`,
    '',
    'Latency from the producer\'s write to the follower\'s read; CPU per chunk of each process (`process.cpuUsage`) and of redis-server (`INFO cpu`) over the measured window; "lost / hung": chunks missing and streams not closed 10 s after their end, over all rounds.',
    '',
    '| contender | p50 ms | p99 ms | p99 × r-s | chunks/s read per stream | CPU µs/chunk, producer + follower | × r-s | redis-server µs/chunk | all three × r-s | lost / hung |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    cpuRow('resumable-stream', theirs),
    cpuRow('**ssekit**', ours, theirs),
    '',
    `Memory per active stream after ${(theirs.streamed / 1024).toFixed(1)} KiB streamed per stream: the growth of each process's JS heap plus external memory after a full GC (and of its RSS), and of redis-server's \`used_memory\`.`,
    '',
    '| contender | producer | producer RSS | follower | follower RSS | processes × r-s | redis-server | with Redis × r-s | producer bytes per byte streamed |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    memoryRow('resumable-stream', theirs),
    memoryRow('**ssekit**', ours, theirs),
    '',
    `The machine's 1-minute load average over the runs: ${Math.min(...runs.flatMap((r) => r.load)).toFixed(1)} to ${Math.max(...runs.flatMap((r) => r.load)).toFixed(1)} (${runs.length ? cpus().length : 0} cores, shared).`,
    '',
    `Redis commands per chunk written (last round): resumable-stream ${calls('resumable-stream')}; ssekit ${calls('ssekit')}.`,
    '',
  ]);
}

/** First replayed byte of a resume, pooled over the rounds. */
export function resumeTable(samples: Map<ContenderName, number[]>, chunks: number): string {
  const theirs = samples.get('resumable-stream')!;
  const ours = samples.get('ssekit')!;
  const row = (name: string, values: number[], peer?: number[]) =>
    `| ${name} | ${values.length} | ${quantile(values, 0.5).toFixed(1)} | ${quantile(values, 0.99).toFixed(1)} | ${peer ? ratio(quantile(values, 0.5), quantile(peer, 0.5)) : ''} | ${peer ? ratio(quantile(values, 0.99), quantile(peer, 0.99)) : ''} |`;
  return print([
    `### Resume: request to first replayed byte, a ${chunks.toLocaleString('en-US')}-chunk stream whose producer another process holds`,
    '',
    '| contender | resumes | p50 ms | p99 ms | p50 × r-s | p99 × r-s |',
    '|---|---:|---:|---:|---:|---:|',
    row('resumable-stream', theirs),
    row('**ssekit**', ours, theirs),
    '',
  ]);
}

/** What each fault did to each contender. */
export function faultsTable(
  faults: Map<string, Map<ContenderName, string>>,
  contenders: ContenderName[],
  lease: number,
): string {
  return print([
    `### Faults: 20 streams × 100 chunks at 50 chunks/s (ssekit's lease ${lease} ms, poll 1000 ms)`,
    '',
    `| fault | ${contenders.join(' | ')} |`,
    `|---|${contenders.map(() => '---|').join('')}`,
    ...[...faults].map(
      ([fault, results]) =>
        `| ${fault} | ${contenders.map((c) => results.get(c) ?? '').join(' | ')} |`,
    ),
    '',
  ]);
}
