// Runs a TypeScript benchmark on plain Node: bundles bench/<name>.ts with
// esbuild (packages stay external, so every peer runs from node_modules as
// users run it), then executes it. Usage: node bench/run.mjs encode [args]
// BENCH_NODE picks the Node that runs it: a line (`24`, installed by
// `node test/node-lines.mjs install`) or a binary's path; default: this one.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { build } from 'esbuild';
import { benchNode } from './node.mjs';

const [name, ...args] = process.argv.slice(2);
if (!name) {
  console.error('usage: node bench/run.mjs <benchmark> [args]');
  process.exit(2);
}
mkdirSync('.tmp/bench', { recursive: true });
const outfile = `.tmp/bench/${name}.mjs`;
await build({
  entryPoints: [`bench/${name}.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const run = spawnSync(benchNode(process.env.BENCH_NODE), ['--expose-gc', outfile, ...args], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
