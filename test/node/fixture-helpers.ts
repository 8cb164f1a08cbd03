import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A fixture a test runs as a process of its own, bundled: Node 20 runs no
 * TypeScript. Packages stay in node_modules. `entry` is a path from the
 * repository's root; the file is named after it and overwritten by the next
 * run (each fixture is bundled by one test file), so nothing piles up in .tmp.
 */
export async function bundleFixture(entry: string): Promise<string> {
  mkdirSync(`${root}.tmp/fixtures`, { recursive: true });
  const outfile = `${root}.tmp/fixtures/${entry.replace(/\W+/g, '-')}.mjs`;
  await build({
    entryPoints: [`${root}${entry}`],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}
