/// <reference types="node" />
/**
 * Starts the fixture app on a real runtime and reads its event streams over
 * real HTTP on loopback. The runtimes are the devDependencies' own binaries.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** A fixture app being served: its origin and how to stop it. */
export interface Served {
  url: string;
  stop(): Promise<void>;
  /** What the server process printed after it started (up to 64 KiB). */
  printed?(): string;
}

/**
 * A runtime gap: something the runtime itself cannot do, which the suite
 * asserts as a gap (so a runtime that closes it makes the test fail and the
 * flag can go).
 */
export interface Gaps {
  /** workerd without `enable_request_signal`: a client that leaves is never reported. */
  noDisconnectNotice?: boolean;
  /** workerd: after a disconnect, what cleanup awaits is cut short unless given to `ctx.waitUntil`. */
  cleanupNeedsWaitUntil?: boolean;
  /**
   * workerd, a Durable Object behind a Worker that forwards with
   * `stub.fetch(request)`: the object's body is never cancelled, and without
   * `enable_request_signal` nothing tells the object its client left.
   */
  forwardedNoDisconnectNotice?: boolean;
  /**
   * workerd, inside a Durable Object: a client that left is noticed only at
   * the object's next writes (over RPC, the second), never while it is silent.
   */
  disconnectSeenAtWrite?: boolean;
}

/** One runtime under test. */
export interface Runtime {
  name: string;
  start(): Promise<Served>;
  gaps?: Gaps;
  /** The process prints nothing but its listening line (Deno: no legacy-abort warning). */
  quiet?: boolean;
  /** Text the server must print this many times (workerd: the adapter's warning about the flag). */
  prints?: { text: string; times: number };
}

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const fixture = (name: string) => `${root}test/runtimes/fixture/${name}`;
export const bin = (name: string) => `${root}node_modules/.bin/${name}`;
const tmp = `${root}.tmp/runtimes`;

/**
 * Bundles an entry (a fixture file name, or a path from the repository root)
 * into one ES module. `ssekit` imports resolve to the sources through the
 * tsconfig `paths`. `'workerd'` resolves packages as wrangler does (the
 * `workerd`, `worker` and `browser` conditions, then `main`), for a Worker
 * that imports packages of CommonJS.
 */
export async function bundle(
  entry: string,
  platform: 'node' | 'neutral' | 'workerd',
  external: string[] = [],
): Promise<string> {
  mkdirSync(tmp, { recursive: true });
  const path = entry.includes('/') ? `${root}${entry}` : fixture(entry);
  const outfile = `${tmp}/${entry.replace(/\.ts$/, '').replaceAll('/', '-')}.mjs`;
  await build({
    entryPoints: [path],
    external,
    bundle: true,
    format: 'esm',
    ...(platform === 'workerd'
      ? { platform: 'browser', conditions: ['workerd', 'worker', 'browser'] }
      : { platform }),
    target: 'es2022',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** Spawns a server process (in `cwd`, the repository by default) and waits for the `listening <url>` line it prints. */
export async function spawnServer(command: string, args: string[], cwd = root): Promise<Served> {
  const child = spawn(command, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', PORT: `${await freePort()}` },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('did not start within 30 s')), 30_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${output}`));
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`exited with ${code}`)));
    // Deno's own "Listening on" line goes to stderr.
    let started = false;
    let printed = '';
    const onOutput = (chunk: Buffer) => {
      // Always read, so a chatty child never blocks on a full pipe.
      if (started) return void (printed = (printed + chunk).slice(0, 65_536));
      output += chunk;
      const match = /listening (?:on )?(http:\/\/\S+)/i.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      started = true;
      const url = new URL(match[1]!);
      url.hostname = '127.0.0.1'; // whatever it printed (localhost, 0.0.0.0), it listens there too
      resolve({ url: url.origin, stop: () => stopChild(child), printed: () => printed });
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
  });
}

/** A port nothing listens on right now, for examples that print the port they were given. */
function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  return new Promise((resolve) =>
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    }),
  );
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** One event as a reader sees it. */
export interface ReadEvent {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

/** An open event stream: timings, raw text, parsed blocks, and a way to leave. */
export class StreamReader {
  text = '';
  ended = false;
  readonly startedAt = performance.now();
  firstChunkAt = 0;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  readonly #abort: AbortController;

  constructor(
    readonly response: Response,
    abort: AbortController,
  ) {
    this.#reader = response.body!.getReader();
    this.#abort = abort;
  }

  /** Every complete block so far (a deliberately tiny reader, not the project's parser). */
  get events(): ReadEvent[] {
    const blocks = this.text.split('\n\n').slice(0, -1);
    return blocks.map((block) => {
      const event: ReadEvent = {};
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon) as keyof ReadEvent | '';
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (field === '') event.comment = value;
        else event[field] = event[field] === undefined ? value : `${event[field]}\n${value}`;
      }
      return event;
    });
  }

  /** Reads until `done(this)` holds or the stream ends; throws after `ms`. */
  async until(done: (stream: StreamReader) => boolean, ms = 2000): Promise<this> {
    const deadline = performance.now() + ms;
    while (!done(this)) {
      if (this.ended) throw new Error(`stream ended before the condition held:\n${this.text}`);
      const left = deadline - performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${ms} ms:\n${this.text}`)),
          left,
        );
      });
      const { done: end, value } = await Promise.race([this.#reader.read(), timeout]).finally(() =>
        clearTimeout(timer),
      );
      if (end) this.ended = true;
      else {
        this.firstChunkAt ||= performance.now();
        this.text += this.#decoder.decode(value, { stream: true });
      }
    }
    return this;
  }

  /** Reads to the end of the stream. */
  toEnd(ms = 2000): Promise<this> {
    return this.until((stream) => stream.ended, ms);
  }

  /** Leaves mid-stream, as a closed browser tab does. */
  disconnect(): void {
    this.#abort.abort();
    this.#reader.cancel().catch(() => {});
  }
}

/** Opens `path` on `url` as an event stream (headers are in; the body is not read yet). */
export async function open(
  url: string,
  path: string,
  headers?: HeadersInit,
): Promise<StreamReader> {
  const abort = new AbortController();
  const response = await fetch(`${url}${path}`, { headers, signal: abort.signal });
  return new StreamReader(response, abort);
}

/** Polls `/counters` until `done` holds, or `ms` pass; returns what was last seen. */
export async function counters(
  url: string,
  key: string,
  done: (counter: Counter) => boolean = () => true,
  ms = 1000,
): Promise<Counter> {
  const deadline = performance.now() + ms;
  for (;;) {
    const counter = (await (await fetch(`${url}/counters?key=${key}`)).json()) as Counter;
    if (done(counter) || performance.now() > deadline) return counter;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What the fixture's `/counters` reports for one key. */
export interface Counter {
  finally: number;
  closes: string[];
  signalAborts: number;
}

let keys = 0;
/** A key no other test uses, so tests on one server never see each other's counts. */
export const uniqueKey = (label: string) => `${label}-${++keys}-${Date.now()}`;
