/// <reference types="node" />
/**
 * A handler that stops reading the request body — `body.cancel()`,
 * `reader.cancel()` after a read, `break` out of `for await` — behind
 * `serve`, `toNodeHandler` on `node:http`, and `toNodeHandler` on
 * `node:http2`. The server runs as a process of its own
 * (`node-body-server.ts`): an exception nothing can catch ends it, as it
 * would in production.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { type ClientHttp2Session, connect as connectHttp2, constants } from 'node:http2';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_UNREAD } from '../../adapters/runtimes/node/node-body.ts';
import { bundleFixture } from './fixture-helpers.ts';

let bundle = '';

beforeAll(async () => {
  bundle = await bundleFixture('test/node/node-body-server.ts');
});
afterAll(() => rmSync(bundle, { force: true }));

interface Served {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop: () => void;
}

async function startServer(mode: string): Promise<Served> {
  const child = spawn(process.execPath, [bundle, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const port = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const ready = /ready (\d+)/.exec(output);
      if (ready) resolve(ready[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited early (${code}): ${stderr}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stderr: () => stderr,
    stop: () => child.kill('SIGKILL'),
  };
}

interface Answer {
  status: number;
  text: string;
  /** Whether it went over a connection an earlier request used. */
  reused: boolean;
}

/** One request over HTTP/1.1 on `agent`. */
function h1(url: string, agent: Agent, method = 'GET', body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text, reused: req.reusedSocket }));
    });
    req.on('error', reject).end(body);
  });
}

/** One request over HTTP/2 on `session`. */
function h2(session: ClientHttp2Session, path: string, method = 'GET', body?: Buffer) {
  return new Promise<Answer>((resolve, reject) => {
    const stream = session.request({ ':method': method, ':path': path });
    let status = 0;
    let text = '';
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.setEncoding('utf8').on('data', (chunk) => (text += chunk));
    stream.on('end', () => resolve({ status, text, reused: true }));
    stream.on('error', reject).end(body);
  });
}

const MiB = 1024 * 1024;
const HOSTILE = 64 * MiB;

/** Sends `HOSTILE` bytes as fast as they are taken; resolves when `target` closes. */
function flood(target: {
  write(chunk: Buffer): boolean;
  once(event: 'drain', f: () => void): unknown;
}) {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  const pump = () => {
    while (sent < HOSTILE) {
      sent += chunk.length;
      if (!target.write(chunk)) return void target.once('drain', pump);
    }
  };
  pump();
}

/** A client that sends a 64 MiB body over HTTP/1.1 to a handler that reads one chunk. */
async function hostileH1(url: string): Promise<number> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1').on('error', () => {});
  socket.write(`POST /?way=reader HTTP/1.1\r\nhost: test\r\ncontent-length: ${HOSTILE}\r\n\r\n`);
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk) => (text += chunk));
  flood(socket);
  await new Promise((resolve) => socket.once('close', resolve));
  return Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]);
}

/**
 * The same over an HTTP/2 stream of `session`. The server resets the stream
 * with NO_ERROR after its response (RFC 9113 §8.1); Node's client then keeps
 * the stream open until its own sending stops, as a client should on that
 * reset: resolves with the status and the reset's code.
 */
async function hostileH2(session: ClientHttp2Session): Promise<[number, number | undefined]> {
  const stream = session.request({ ':method': 'POST', ':path': '/?way=reader' });
  let status = 0;
  stream.on('response', (headers) => (status = Number(headers[':status'])));
  stream.on('error', () => {}).resume();
  flood(stream);
  await new Promise((resolve) => stream.once('end', resolve));
  await until(async () => stream.closed, Boolean);
  const code = stream.rstCode;
  stream.destroy();
  return [status, code];
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 5000) {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || performance.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const ways = ['cancel', 'reader', 'break'];
const sizes = [100, 64 * 1024, 1024 * 1024];
const cases = ways.flatMap((way) => sizes.map((size) => [way, size] as const));

describe.each(['serve', 'listener', 'http2'])(
  'a handler that stops reading the body (%s)',
  (mode) => {
    let server: Served;
    let agent: Agent;
    let session: ClientHttp2Session | undefined;
    const ask = (path: string, method?: string, body?: Buffer) =>
      session ? h2(session, path, method, body) : h1(`${server.url}${path}`, agent, method, body);

    beforeAll(async () => {
      server = await startServer(mode);
      agent = new Agent({ keepAlive: true, maxSockets: 1 });
      // A session the server dropped fails the next request, not the test process.
      if (mode === 'http2') session = connectHttp2(server.url).on('error', () => {});
    });
    afterAll(() => {
      session?.close();
      agent.destroy();
      server.stop();
    });

    test.each(cases)(
      '%s at %i bytes: the 413 arrives, the server lives, the connection serves the next request',
      async (way, size) => {
        const refused = await ask(`/?way=${way}`, 'POST', Buffer.alloc(size, 'x'));
        expect([refused.status, refused.text]).toEqual([413, 'too large']);
        const next = await ask('/');
        expect(next).toEqual({ status: 200, text: 'ok', reused: true });
        await new Promise((resolve) => setTimeout(resolve, 50)); // the rest of the body arrived
        expect(server.child.exitCode).toBe(null);
        expect(server.stderr()).toBe('');
      },
    );

    test('a handler that reads the whole body and then throws: the 500 arrives, the server goes on', async () => {
      const failed = await ask('/?way=throw', 'POST', Buffer.from('{"a":"x"}'));
      expect([failed.status, failed.text]).toEqual([500, '']);
      expect(await ask('/')).toMatchObject({ status: 200, text: 'ok' });
      expect(server.child.exitCode).toBe(null);
      expect(server.stderr()).toBe('');
    });

    const stats = async () => JSON.parse((await ask('/stats')).text) as Record<string, number>;

    test('a client that sends 64 MiB gets its 413, then is read no further than about MAX_UNREAD', async () => {
      const before = await stats();
      if (session) expect(await hostileH2(session)).toEqual([413, constants.NGHTTP2_NO_ERROR]);
      else expect(await hostileH1(server.url)).toBe(413);
      const after = await stats();
      // Under HTTP/2 the session's count goes on from before; an HTTP/1.1 flood has its own connection.
      const read = after.read! - (session ? before.read! : 0);
      // HTTP/1.1 reads up to MAX_UNREAD to keep the connection; HTTP/2 resets
      // the stream when the response is out. Plus what the kernel and Node
      // buffered on the way.
      if (!session) expect(read).toBeGreaterThan(MAX_UNREAD);
      expect(read).toBeLessThan(8 * MiB);
      expect(await ask('/')).toMatchObject({ status: 200, text: 'ok' }); // the server goes on
      expect(server.child.exitCode).toBe(null);
      expect(server.stderr()).toBe('');
    }, 15_000);

    test('nothing is left behind: no listener on a request, every request over, the connections closed', async () => {
      const seen = await until(stats, (seen) => seen.listeners === 0 && seen.unended === 0);
      // Each case is two requests; the thrower, the flood, and the requests after them, four more.
      const requests = 2 * cases.length + 4;
      expect(seen).toMatchObject({ connections: 1, requests, listeners: 0, unended: 0 });
      expect(server.child.exitCode).toBe(null);
      expect(server.stderr()).toBe('');
    }, 15_000);
  },
);
