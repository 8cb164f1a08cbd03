// Size: minified + gzipped bytes of each entry point, and of the peers'
// equivalents measured the same way (bench/_size.ts).
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { BUDGETS, measure, PEERS, TARBALL_BUDGET } from './_size.ts';
import { packRepository } from './_tarball.ts';

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
// The tarball npm publishes, packed from a copy of the repository (run from
// its root, as `npm run bench:size` does; prepack builds it).
const tarball = packRepository(process.cwd());
rmSync(dirname(tarball.copy), { recursive: true, force: true });
lines.push(
  '',
  `npm pack: **${kb(tarball.packed)}** packed, ${kb(tarball.unpacked)} unpacked, ${tarball.files.length} files (budget ${kb(TARBALL_BUDGET.packed)} packed, ${kb(TARBALL_BUDGET.unpacked)} unpacked)`,
);
lines.push('');
console.log(lines.join('\n'));
