// ssekit in a Next.js App Router route handler, built with `next build` and
// served with `next start` as a user deploys it: examples/nextjs is copied
// beside the sources (so its tsconfig `paths` still map `ssekit` to src/),
// built once for the file, and read over real HTTP. The route logs when its
// generator's `finally` runs and why the stream closed: the server's output
// is how the test sees a client leaving reach the generator.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { open, root, type StreamReader } from '../runtimes/harness.ts';

// Two levels down, as examples/nextjs is: its `paths` reach src/ from here too.
const app = join(root, `.tmp/nextjs-${process.pid}`);
const next = createRequire(import.meta.url).resolve('next/dist/bin/next');
// Vitest sets NODE_ENV=test; Next builds and serves as in production.
const env = { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', NO_COLOR: '1' };

let server: ChildProcess | undefined;
let url = '';
let output = '';

/** The deepest directory holding both paths (Turbopack compiles nothing outside it). */
function commonRoot(a: string, b: string): string {
  const x = a.split(sep);
  const y = b.split(sep);
  let n = 0;
  while (n < x.length && x[n] === y[n]) n++;
  return x.slice(0, n).join(sep) || sep;
}

/** The route of the example, without `no-transform`: for the compression test. */
const transformed = `import { sseResponse } from 'ssekit';
export const dynamic = 'force-dynamic';
export async function GET(request: Request): Promise<Response> {
  return sseResponse(async function* ({ signal }) {
    for (let n = 1; !signal.aborted; n++) {
      yield { id: n, data: { n, at: Date.now() } };
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }, { request, headers: { 'cache-control': 'no-cache' } });
}
`;

beforeAll(async () => {
  rmSync(app, { recursive: true, force: true });
  cpSync(join(root, 'examples/nextjs'), app, {
    recursive: true,
    filter: (path) => !/[/\\](\.next|node_modules)$/.test(path),
  });
  cpSync(join(app, 'app/events'), join(app, 'app/transformed'), { recursive: true });
  writeFileSync(join(app, 'app/transformed/route.ts'), transformed);
  // Types are checked by `npm run typecheck`; node_modules may be a link out
  // of the checkout (a worktree), so Turbopack's root spans both.
  const nextDir = realpathSync(dirname(next));
  writeFileSync(
    join(app, 'next.config.mjs'),
    `export default ${JSON.stringify({
      typescript: { ignoreBuildErrors: true },
      turbopack: { root: commonRoot(realpathSync(root), nextDir) },
      experimental: { turbopackFileSystemCacheForBuild: false },
    })};\n`,
  );
  const built = performance.now();
  await promisify(execFile)(process.execPath, [next, 'build'], { cwd: app, env }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`next build failed:\n${error.stdout}\n${error.stderr}`);
    },
  );
  console.log(`next build: ${Math.round(performance.now() - built)} ms`);

  server = spawn(process.execPath, [next, 'start', '--hostname', '127.0.0.1', '--port', '0'], {
    cwd: app,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`next start: no URL in\n${output}`)), 30_000);
    const read = (chunk: Buffer) => {
      output += chunk;
      const found = /Local:\s+(http:\/\/\S+)/.exec(output);
      if (found && /Ready/.test(output)) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    };
    server!.stdout!.on('data', read);
    server!.stderr!.on('data', read);
    server!.once('exit', (code) => reject(new Error(`next start exited ${code}:\n${output}`)));
  });
}, 240_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }
  rmSync(app, { recursive: true, force: true });
});

const ticks = (stream: StreamReader) => stream.events.filter((event) => event.data !== undefined);

/** Resolves once the server printed `text`; false after `ms`. */
async function printed(text: string | RegExp, ms = 2000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (typeof text === 'string' ? output.includes(text) : text.test(output)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe('Next.js App Router, next build and next start', () => {
  test('GET returns sseResponse: headers, events live and uncompressed, Last-Event-ID', async () => {
    const stream = await open(url, '/events', {
      'accept-encoding': 'gzip, deflate, br',
      'last-event-id': '41',
    });
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(stream.response.headers.get('cache-control')).toBe('no-cache, no-transform');
      // Next compresses what it may; no-transform keeps it off the stream.
      expect(stream.response.headers.has('content-encoding')).toBe(false);
      await stream.until((s) => ticks(s).length >= 1, 5000);
      const firstAt = Date.now();
      await stream.until((s) => ticks(s).length >= 2, 5000);
      const [first, second] = ticks(stream);
      expect(first).toMatchObject({ event: 'tick', id: '42' });
      expect(second).toMatchObject({ event: 'tick', id: '43' });
      // Tick 42 was in the client's hands before tick 43 was made.
      expect(firstAt).toBeLessThan(JSON.parse(second!.data!).at);
    } finally {
      stream.disconnect();
    }
  });

  test('a client that leaves ends the generator: its finally runs, onClose says disconnect', async () => {
    const stream = await open(url, '/events', { 'last-event-id': '100' });
    await stream.until((s) => ticks(s).length >= 1, 5000);
    const left = Date.now();
    stream.disconnect();
    expect(await printed(/events: stopped after #10[12]/)).toBe(true);
    expect(await printed('events: closed (disconnect)')).toBe(true);
    // Within a tick: the sleep was cut short, not waited out.
    expect(Date.now() - left).toBeLessThan(2000);
  });

  test('without no-transform Next gzips the stream, and still flushes each event', async () => {
    const stream = await open(url, '/transformed', { 'accept-encoding': 'gzip' });
    try {
      expect(stream.response.headers.get('content-encoding')).toBe('gzip');
      await stream.until((s) => ticks(s).length >= 1, 5000);
      const firstAt = Date.now();
      await stream.until((s) => ticks(s).length >= 2, 5000);
      expect(firstAt).toBeLessThan(JSON.parse(ticks(stream)[1]!.data!).at);
    } finally {
      stream.disconnect();
    }
  });
});
