// The top frames of a CPU profile (node --cpu-prof) by self time, and the
// share of each package. Usage: node bench/profile-top.mjs <file.cpuprofile> [count]
import { readFileSync } from 'node:fs';

const [file, count = '15'] = process.argv.slice(2);
const { nodes, samples, timeDeltas } = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(nodes.map((node) => [node.id, node]));
const self = new Map();
for (let i = 0; i < samples.length; i++) {
  const node = byId.get(samples[i]);
  self.set(node, (self.get(node) ?? 0) + (timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const frames = new Map();
const places = new Map();
const where = (url) =>
  url.match(/node_modules\/([^/]+)/)?.[1] ??
  (url.startsWith('node:') || !url
    ? 'node'
    : url.includes('.tmp/bench')
      ? 'bench bundle (ssekit, bench)'
      : url);
for (const [node, time] of self) {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  frames.set(name, (frames.get(name) ?? 0) + time);
  const place = where(url);
  places.set(place, (places.get(place) ?? 0) + time);
}
const percent = (time) => `${((time / total) * 100).toFixed(1)}%`;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
for (const [name, time] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, Number(count)))
  console.log(`  ${percent(time).padStart(6)}  ${name}`);
console.log(
  '  by place:',
  [...places]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([p, t]) => `${p} ${percent(t)}`)
    .join(', '),
);
