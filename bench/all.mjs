// `npm run bench`: every benchmark in turn, each in its own Node process,
// on each Node line of BENCH_NODES (default `24,20`: Node 24, what users
// deploy today, is the headline; Node 20 beside it), then bench/RESULTS.md
// rewritten with this run's tables, the machine, the runtimes and the peers'
// versions. bench/_notes.md (the reading of the figures against the targets)
// is appended as it stands. The size benchmark does not depend on Node and
// runs once.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchNode } from './node.mjs';

// Fan-out runs at three connection counts, so the table shows how latency
// and memory grow with them (19,000: the most this machine's `ulimit -n` of
// 20,000 lets one process hold).
const BENCHMARKS = [
  'encode',
  'engine',
  'http',
  'fanout 1000',
  'fanout 10000',
  'fanout 19000',
  'connection-memory',
  'parse',
  'relay',
  'size',
];
const PEERS = ['hono', '@hono/node-server', 'h3', 'better-sse', 'eventsource-parser', 'esbuild'];
const only = process.argv.slice(2);
const lines = (process.env.BENCH_NODES ?? '24,20').split(',').map((line) => line.trim());
const versionOf = (line) =>
  spawnSync(benchNode(line), ['--version'], { encoding: 'utf8' }).stdout.trim();

const sections = [];
const started = Date.now();
for (const [index, line] of lines.entries()) {
  const headline = index === 0 ? ' (headline)' : '';
  sections.push(`## Node ${versionOf(line)}${headline}\n`);
  for (const name of only.length ? only : BENCHMARKS) {
    if (name === 'size' && index > 0) continue;
    console.error(`bench: ${name} on Node ${line}...`);
    const run = spawnSync(process.execPath, ['bench/run.mjs', ...name.split(' ')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_NODE: line },
      timeout: 600_000, // no benchmark runs away with the budget of the whole set
    });
    process.stdout.write(run.stdout ?? '');
    sections.push(
      run.status === 0
        ? run.stdout
        : `### ${name}: failed (${run.error ?? `exit ${run.status}`})\n`,
    );
  }
}
if (only.length) process.exit(0); // a partial run never overwrites the results

const version = (name) =>
  JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')).version;
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const header = `# Benchmark results

The latest run of \`npm run bench\` (${minutes} minutes), written by bench/all.mjs.
Each benchmark runs ssekit, its peers and a limit in one process run,
alternating, and reports medians; the ratios are what to read on a shared,
noisy machine, not the absolute rates.

- Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC
- Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB
- Runtimes: ${lines.map((line) => `Node ${versionOf(line)}`).join(' (headline), ')} (${process.platform} ${process.arch})
- Peers: ${PEERS.map((name) => `${name} ${version(name)}`).join(', ')}
- Reproduce: \`npm run bench\` (one benchmark: \`node bench/run.mjs http\`, \`npm run bench:fanout\`, ...;
  on one Node line: \`BENCH_NODE=24 npm run bench:fanout\`, \`BENCH_NODES=24 npm run bench\`)

`;
const notes = existsSync('bench/_notes.md') ? readFileSync('bench/_notes.md', 'utf8') : '';
writeFileSync('bench/RESULTS.md', `${header}${sections.join('\n')}\n${notes}`);
console.error('bench: wrote bench/RESULTS.md');
