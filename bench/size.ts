// Size: minified + gzipped bytes of each entry point, and of the peers'
// equivalents measured the same way (bench/_size.ts).
import { BUDGETS, measure, PEERS } from './_size.ts';

const kb = (bytes: number) => `${(bytes / 1000).toFixed(2)} KB`;
const lines = [
  '### Size: minified + gzipped (esbuild, platform-neutral, gzip -9)',
  '',
  '| entry | min | min+gz | budget | target | smallest peer equivalent |',
  '|---|---:|---:|---:|---:|---|',
];
const peerSizes = await Promise.all(
  PEERS.map(async (peer) => ({ ...peer, size: await measure(peer.source) })),
);
for (const { name, source, budget, target } of BUDGETS) {
  const { minified, gzipped } = await measure(source);
  const peers = peerSizes
    .filter((peer) => peer.versus === name)
    .map(
      (peer) =>
        `${peer.name} ${kb(peer.size.gzipped)} (${(gzipped / peer.size.gzipped).toFixed(2)}x)`,
    );
  lines.push(
    `| ${name} | ${kb(minified)} | **${kb(gzipped)}** | ${kb(budget)} | ${target ? `${gzipped <= target ? 'met' : 'short'}: ${kb(target)}` : ''} | ${peers.join('; ')} |`,
  );
}
lines.push('');
console.log(lines.join('\n'));
