/// <reference types="node" />
/**
 * The package as a user installs it: tsup's build with the repository's
 * package.json (its exports map), in a `node_modules/ssekit` of its own. The
 * docs' checks (test/node/docs-snippets.test.ts, test/runtimes/quick-start.test.ts)
 * import `ssekit` from there, never through tsconfig paths to src/.
 *
 * Built once per content of what goes into it (the sources, package.json,
 * tsup.config.ts), kept under .tmp/: the unit suite builds it, the runtime
 * suite that runs after it reuses it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** What the build reads: a change to any of it is a new build. */
function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of [...files('src'), ...files('adapters')].concat(
    ['package.json', 'tsup.config.ts'].map((file) => join(root, file)),
  )) {
    hash.update(file.slice(root.length)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The directory of the built package (it holds package.json and dist/), built
 * if this content has no build yet. Two suites building at once both build;
 * the first rename wins and the other uses it.
 */
export function builtPackage(): string {
  const home = join(root, '.tmp/built-package', sourceHash());
  const pkg = join(home, 'node_modules/ssekit');
  if (existsSync(join(pkg, 'package.json'))) return pkg;
  const scratch = `${home}.${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  const out = join(scratch, 'node_modules/ssekit');
  mkdirSync(out, { recursive: true });
  const tsup = createRequire(import.meta.url).resolve('tsup/dist/cli-default.js');
  execFileSync(process.execPath, [tsup, '--out-dir', join(out, 'dist'), '--silent'], {
    cwd: root,
    stdio: 'pipe',
  });
  // package.json last: its presence says the build is whole.
  copyFileSync(join(root, 'package.json'), join(out, 'package.json'));
  try {
    renameSync(scratch, home);
  } catch {
    rmSync(scratch, { recursive: true, force: true }); // built meanwhile by another suite
  }
  // Builds of older sources are of no more use.
  const builds = join(root, '.tmp/built-package');
  for (const name of readdirSync(builds)) {
    if (!home.endsWith(name) && !name.includes('.'))
      rmSync(join(builds, name), { recursive: true, force: true });
  }
  return pkg;
}
