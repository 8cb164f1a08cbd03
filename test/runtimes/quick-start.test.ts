/// <reference types="node" />
/**
 * The README's quick start, run as a reader runs it: each runtime's file
 * written as the README shows it into an empty folder where ssekit is
 * installed (the built package, test/built-package.ts), started with the
 * command the README names, and read with fetch until the first event, which
 * must be what the README says `curl` prints, and then the next.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { builtPackage } from '../built-package.ts';
import { blocksOf } from '../node/docs-blocks.ts';
import { nodeLines, reportMissing } from '../node-lines.mjs';
import { bin, root, type Served, StreamReader, spawnServer } from './harness.ts';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const { blocks } = blocksOf('README.md', readme);
const lines = readme.split('\n');

/** The first block after the line that starts with `label`, and the last command that line names. */
function quickStart(label: string): { code: string; command: string[] } {
  const at = lines.findIndex((line) => line.startsWith(label));
  if (at < 0) throw new Error(`README.md has no line starting with ${label}`);
  const block = blocks.find((candidate) => candidate.line > at + 1)!;
  const command = [...lines[at]!.matchAll(/`([^`]+)`/g)].at(-1)?.[1] ?? '';
  return { code: block.code, command: command.split(' ') };
}

/** What the README says `curl -N` prints first: the ```text block after the Node quick start. */
const printed = `${blocks.find((block) => block.lang === 'text' && block.code.includes('event: hello'))!.code}\n`;

let pkg = '';
const folders: string[] = [];

beforeAll(() => {
  pkg = builtPackage();
}, 180_000);

afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** An empty folder where `npm install ssekit` ran, holding `files`. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ssekit-quick-start-'));
  folders.push(dir);
  writeFileSync(join(dir, 'package.json'), '{ "dependencies": { "ssekit": "^0.2.0" } }\n');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(pkg, join(dir, 'node_modules/ssekit'), 'dir');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Reads the stream's first bytes (the README's output, at once: the first event does not wait), then the second event. */
async function firstEvent(served: Served): Promise<void> {
  const abort = new AbortController();
  try {
    const response = await fetch(served.url, { signal: abort.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = new StreamReader(response, abort);
    await stream.until((read) => read.text.length >= printed.length, 5000);
    expect(stream.text.slice(0, printed.length)).toBe(printed);
    // And it counts on: the next one a second later.
    await stream.until((read) => read.events.some((event) => event.id === '2'), 5000);
    expect(stream.events.at(-1)).toEqual({ event: 'hello', id: '2', data: 'hello #2' });
    stream.disconnect();
  } finally {
    await served.stop();
  }
}

/** Runs a README command in `dir`, its first word the runtime's binary. */
async function run(dir: string, binary: string, command: string[]): Promise<void> {
  await firstEvent(await spawnServer(binary, command.slice(1), dir));
}

const node = quickStart('**Node**');

for (const { line, binary, missing } of nodeLines()) {
  test(`Node ${line}: server.mjs, with ${node.command.join(' ')}`, async (context) => {
    if (missing) return void (reportMissing(missing) ? context.skip() : expect.fail(missing));
    expect(node.command).toEqual(['node', 'server.mjs']);
    await run(folder({ 'server.mjs': node.code }), binary!, node.command);
  }, 30_000);
}

// The same file in TypeScript, its argument typed as the README says, on the
// lines that strip types by themselves (22.18 and later, 24).
for (const { line, binary, missing } of nodeLines().filter(({ line }) => line >= 22)) {
  test(`Node ${line}: server.ts, with node server.ts`, async (context) => {
    if (missing) return void (reportMissing(missing) ? context.skip() : expect.fail(missing));
    const typed = node.code.replace('(request) =>', '(request: Request) =>');
    expect(typed).not.toBe(node.code);
    await run(folder({ 'server.ts': typed }), binary!, ['node', 'server.ts']);
  }, 30_000);
}

test('Deno: server.ts, with the command the README names', async () => {
  const deno = quickStart('**Deno**');
  expect(deno.command[0]).toBe('deno');
  await run(folder({ 'server.ts': deno.code }), bin('deno'), deno.command);
}, 30_000);

test('Bun: server.ts, with the command the README names', async () => {
  const bun = quickStart('**Bun**');
  expect(bun.command).toEqual(['bun', 'server.ts']);
  await run(folder({ 'server.ts': bun.code }), bin('bun'), bun.command);
}, 30_000);

test('Workers: worker.ts on workerd, with the wrangler.toml the README shows', async () => {
  const worker = quickStart('**Cloudflare Workers**');
  const toml = blocks.find(
    (block) => block.lang === 'toml' && block.code.includes('worker.ts'),
  )!.code;
  const dir = folder({ 'worker.ts': worker.code });
  // What wrangler does with it: the worker bundled, on the date, with the flags.
  const outfile = join(dir, 'worker.mjs');
  await build({
    entryPoints: [join(dir, 'worker.ts')],
    absWorkingDir: dir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    outfile,
    logLevel: 'error',
  });
  const compatibilityDate = /^compatibility_date = "(.+)"$/m.exec(toml)![1]!;
  const compatibilityFlags = JSON.parse(/^compatibility_flags = (\[.*\])$/m.exec(toml)![1]!);
  expect(compatibilityFlags).toContain('enable_request_signal');
  const workerd = new Miniflare({
    modules: true,
    scriptPath: outfile,
    modulesRoot: dir, // the folder, not the process's: module names must not climb out with ..
    compatibilityDate,
    compatibilityFlags,
    host: '127.0.0.1',
    port: 0,
  });
  const url = await workerd.ready;
  await firstEvent({ url: url.origin, stop: () => workerd.dispose() });
}, 30_000);
