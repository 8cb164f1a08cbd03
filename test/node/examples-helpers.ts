// Starts an example server as a child process, the way a user runs it
// (node examples/run.mjs examples/<name>/server.ts, or with Deno or Bun),
// on a free port.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

export interface ExampleServer {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How each runtime runs an example, as each server's header says. */
const COMMANDS = {
  node: (file: string) => [process.execPath, 'examples/run.mjs', file],
  deno: (file: string) => [join(root, 'node_modules/.bin/deno'), 'run', '-A', file],
  bun: (file: string) => [join(root, 'node_modules/.bin/bun'), file],
};

export async function startExample(
  name: 'logs' | 'notifications' | 'dashboard' | 'resumable-chat',
  env: Record<string, string> = {},
  runtime: keyof typeof COMMANDS = 'node',
): Promise<ExampleServer> {
  const [command, ...args] = COMMANDS[runtime](`examples/${name}/server.ts`);
  const child = spawn(command!, args, {
    cwd: root,
    env: { ...process.env, PORT: '0', TMPDIR: mkdtempSync(join(tmpdir(), 'ssekit-ex-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 10_000);
    const look = () => {
      const found = /listening on (http:\/\/\S+)/.exec(output);
      if (!found) return;
      clearTimeout(timer);
      child.stdout!.off('data', look);
      resolve(found[1]!);
    };
    child.stdout!.on('data', look);
    void exited.then(() => reject(new Error(`${name} exited:\n${output}`)));
  });
  return {
    url,
    child,
    output: () => output,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * What is wrong with the pages at `paths` of a running example: a nav link
 * that does not answer 200 itself (a 404, or a redirect back), a page
 * without the `<nav>` it should have, or a page that leaves the browser to
 * ask for /favicon.ico (a 404 the demo's log viewer would show).
 */
export async function pageProblems(url: string, paths: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const path of paths) {
    const html = await (await fetch(url + path)).text();
    if (!/<link rel="icon" href="[^"]+">/.test(html)) problems.push(`${path}: no icon declared`);
    const nav = /<nav>([\s\S]*?)<\/nav>/.exec(html)?.[1];
    if (nav === undefined) problems.push(`${path}: no nav`);
    for (const [, href] of (nav ?? '').matchAll(/<a href="([^"]*)"/g)) {
      const { status } = await fetch(new URL(href!, url + path), { redirect: 'manual' });
      if (status !== 200) problems.push(`${path}: links ${href}, which answers ${status}`);
    }
  }
  return problems;
}
