// Shared by the reliability scenarios: the scale (one code path for CI and
// soak), system binaries, child processes of bundled fixtures, and the
// figures each scenario records for RELIABILITY.md.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect } from '../../src/client/index.ts';
import { bundleFixture } from '../node/fixture-helpers.ts';

/** `SSEKIT_SCALE=full` (npm run soak) runs the full figures; anything else, CI's. */
export const FULL = process.env.SSEKIT_SCALE === 'full';

/** `scale(ci, full)`: the CI-sized number, or the full one under `npm run soak`. */
export function scale<T>(ci: T, full: T): T {
  return FULL ? full : ci;
}

export const root = fileURLToPath(new URL('../../', import.meta.url));

export { binaryAvailable } from '../system.ts';

/**
 * Appends one scenario's figures to `.tmp/reliability/figures.jsonl` and
 * prints them: RELIABILITY.md is written from the soak run's lines.
 */
export function record(scenario: string, figures: Record<string, unknown>): void {
  const line = { scenario, scale: FULL ? 'full' : 'ci', at: new Date().toISOString(), ...figures };
  mkdirSync(`${root}.tmp/reliability`, { recursive: true });
  appendFileSync(`${root}.tmp/reliability/figures.jsonl`, `${JSON.stringify(line)}\n`);
  console.log(`reliability: ${JSON.stringify(line)}`);
}

/** A fixture bundled to run as a process of its own (see bundleFixture). */
export const bundle = bundleFixture;

/**
 * A child process that printed `ready <port>`; `lines` collects what it
 * printed after, `errors` its stderr (also passed through).
 */
export interface Child {
  process: ChildProcess;
  port: number;
  url: string;
  lines: string[];
  errors: string[];
  /** Resolves with the exit code once it exited. */
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Spawns `node file ...args` and waits for its `ready <port>` line.
 * `openFiles` lowers its open-file limit (`ulimit -n`), as a server in
 * production may have it.
 */
export async function start(
  file: string,
  env: Record<string, string> = {},
  args: string[] = [],
  { openFiles }: { openFiles?: number } = {},
): Promise<Child> {
  const command = [process.execPath, '--expose-gc', file, ...args];
  // A process may lower its own limit, never raise it: the shell does it, then becomes node.
  const limited = ['-c', `ulimit -n ${openFiles} && exec "$@"`, 'sh', ...command];
  const child = spawn(openFiles ? 'sh' : command[0]!, openFiles ? limited : command.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const errors: string[] = [];
  child.stderr!.on('data', (chunk) => {
    errors.push(String(chunk));
    process.stderr.write(chunk);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk) => {
      buffer += chunk;
      let end = buffer.indexOf('\n');
      for (; end >= 0; end = buffer.indexOf('\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        const ready = /^ready (\d+)$/.exec(line);
        if (ready) resolve(Number(ready[1]));
        else lines.push(line);
      }
    });
    exited.then((code) => reject(new Error(`${file} exited before it was ready (${code})`)));
  });
  return { process: child, port, url: `http://127.0.0.1:${port}`, lines, errors, exited };
}

/** Waits until `check()` holds, polling; throws with `what` after `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Heap and array buffers after a full collection (vitest runs these with --expose-gc). */
export async function settledMemory(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let round = 0; round < 3; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

export const MB = 1024 * 1024;

/** Checks a client's received sequence: `1..count`, each once, in order. */
export function sequenceFaults(received: readonly number[], count: number) {
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  const seen = new Set<number>();
  for (let index = 0; index < received.length; index++) {
    const value = received[index]!;
    if (seen.has(value)) duplicated++;
    else seen.add(value);
    if (index > 0 && value <= received[index - 1]!) outOfOrder++;
  }
  for (let value = 1; value <= count; value++) if (!seen.has(value)) lost++;
  return { lost, duplicated, outOfOrder };
}

/**
 * A reader on ssekit's `connect` that records each event's `data` as a
 * number until it has `count` of them, and how often it reconnected. `route`
 * picks the URL of every attempt (a live process, after one was killed).
 */
export function follower(
  route: () => string,
  count: number,
  signal: AbortSignal,
  lastEventId?: string,
) {
  const received: number[] = [];
  // cleanEnds: reconnections after a stream that ended normally (no error).
  const state = { received, reconnects: 0, cleanEnds: 0, resets: 0 };
  const done = (async () => {
    const events = connect(route(), {
      signal,
      lastEventId,
      retryDelay: 20,
      maxRetryDelay: 250,
      onReconnect: ({ error }) => {
        state.reconnects++;
        if (!error) state.cleanEnds++;
      },
      fetch: (_input, init) => fetch(route(), init),
    });
    for await (const { event, data } of events) {
      if (event === 'reset') state.resets++;
      else received.push(Number(data));
      if (received.at(-1) === count) break;
    }
  })();
  return Object.assign(state, { done });
}

/**
 * Publishes `count` numbered messages at most `perSecond` (so that faults
 * land all along the run), never more than `lag` ahead of the slowest reader.
 */
export async function publishPaced(
  count: number,
  publish: (n: number) => Promise<unknown>,
  readers: readonly { received: number[] }[],
  { lag, perSecond }: { lag: number; perSecond: number },
  onProgress: (n: number) => void | Promise<void> = () => {},
): Promise<void> {
  const started = Date.now();
  for (let n = 1; n <= count; n++) {
    if (n % 50 === 0) {
      const early = started + (n / perSecond) * 1000 - Date.now();
      if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
      await onProgress(n);
      while (n - Math.min(...readers.map((reader) => reader.received.length)) > lag) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        await onProgress(n);
      }
    }
    await publish(n);
  }
}
