/**
 * The package as npm publishes it. The working tree is copied (without its
 * installs, build and caches) and packed there by `npm pack`, whose
 * `prepack` builds dist/: what a fresh clone would pack, and the
 * repository's own tree stays as it was. The published-build test installs
 * this tarball; the size benchmark prints its sizes.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** What `npm pack` made. */
export interface Tarball {
  /** The packed copy of the repository; its dist/ is the build that shipped. */
  copy: string;
  /** The .tgz file. */
  file: string;
  /** Bytes of the .tgz. */
  packed: number;
  /** Bytes of the files it holds. */
  unpacked: number;
  /** The paths inside the package, sorted. */
  files: string[];
}

/** Top-level entries a clone does not have (or that the build makes). */
const LEFT_OUT = new Set(['.git', 'node_modules', '.tools', 'dist', '.tmp', 'coverage']);

/** Packs a copy of `root` in `into` (a new temporary directory by default). */
export function packRepository(
  root: string,
  into = mkdtempSync(join(tmpdir(), 'ssekit-pack-')),
): Tarball {
  const copy = join(into, 'repository');
  mkdirSync(copy);
  cpSync(root, copy, {
    recursive: true,
    filter: (source) => !LEFT_OUT.has(relative(root, source).split('/')[0]!),
  });
  // The build's tools (tsup, TypeScript) are the repository's own install.
  symlinkSync(realpathSync(join(root, 'node_modules')), join(copy, 'node_modules'), 'dir');
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', into], {
    cwd: copy,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
  });
  // prepack's build may print before the JSON: the report is the last array.
  const [report] = JSON.parse(output.slice(output.lastIndexOf('\n[') + 1)) as [
    { filename: string; size: number; unpackedSize: number; files: { path: string }[] },
  ];
  return {
    copy,
    file: join(into, report.filename),
    packed: report.size,
    unpacked: report.unpackedSize,
    files: report.files.map((entry) => entry.path).sort(),
  };
}
