import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type NodeServer, serve } from '../../adapters/runtimes/node/index.ts';
import { SSEParserStream } from '../../src/client/index.ts';
import { sseResponse } from '../../src/index.ts';
import { freePort } from '../node/hub/redis-server.ts';
import { binaryAvailable, record, until } from './scenario-helpers.ts';

// Through a real reverse proxy: Debian's nginx with its defaults
// (proxy_buffering on) and a short proxy_read_timeout, on loopback, in front
// of a Node server. The heartbeat check runs beside a control (no heartbeat)
// that nginx cuts, so the test proves the heartbeat is what keeps it open.
const NGINX = '/usr/sbin/nginx';
const READ_TIMEOUT_S = 1;
const available = binaryAvailable(NGINX, 'nginx', 'the reverse proxy test');
let upstream: NodeServer;
let nginx: ChildProcess | undefined;
let proxy = '';
let directory = '';
// The server holds a stream after its first event until the test releases it.
const held = new Map<string, () => void>();

function app(request: Request): Response {
  const url = new URL(request.url);
  const name = url.searchParams.get('name') ?? '';
  if (url.pathname === '/held') {
    // `buffered` asks nginx to buffer after all: the control.
    const headers = url.searchParams.has('buffered') ? { 'x-accel-buffering': 'yes' } : undefined;
    return sseResponse(
      async function* () {
        yield { data: 'first' };
        await new Promise<void>((resolve) => held.set(name, resolve));
        yield { data: 'second' };
      },
      { request, heartbeat: false, headers },
    );
  }
  // Quiet for three read timeouts between two events, with or without heartbeats.
  const heartbeat = url.searchParams.has('heartbeat') ? 300 : false;
  return sseResponse(
    async function* ({ sleep }) {
      yield { data: 'first' };
      await sleep(READ_TIMEOUT_S * 3000);
      yield { data: 'second' };
    },
    { request, heartbeat },
  );
}

beforeAll(async () => {
  if (!available) return;
  upstream = await serve(app, { hostname: '127.0.0.1' });
  const port = await freePort();
  directory = mkdtempSync(join(tmpdir(), 'ssekit-nginx-'));
  const path = (name: string) => join(directory, name);
  // Only what a test needs; buffering is left at nginx's defaults.
  const config = `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${path('nginx.pid')};
error_log ${path('error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${path('body')};
  proxy_temp_path ${path('proxy')};
  fastcgi_temp_path ${path('fastcgi')};
  uwsgi_temp_path ${path('uwsgi')};
  scgi_temp_path ${path('scgi')};
  server {
    listen 127.0.0.1:${port};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    location / {
      proxy_pass ${upstream.url};
      proxy_read_timeout ${READ_TIMEOUT_S}s;
    }
    # Held streams are quiet for as long as the test holds them.
    location /held {
      proxy_pass ${upstream.url};
      proxy_read_timeout 30s;
    }
  }
}`;
  writeFileSync(path('nginx.conf'), config);
  nginx = spawn(NGINX, ['-p', directory, '-e', path('error.log'), '-c', path('nginx.conf')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  proxy = `http://127.0.0.1:${port}`;
  // Ready once it answers (a 502 would do; our server answers 200).
  await until(() => nginx!.exitCode === null, 1000, 'nginx to run');
  for (let attempt = 0; ; attempt++) {
    const ok = await fetch(`${proxy}/quiet`).then(
      (response) => response.body!.cancel().then(() => true),
      () => false,
    );
    if (ok) break;
    if (attempt === 100 || nginx.exitCode !== null) throw new Error('nginx did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx!.once('exit', resolve));
    nginx.kill('SIGQUIT');
    await exited;
  }
  await upstream?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/**
 * The data of each event of a stream through nginx, as they arrive; `ended`
 * when it ended cleanly, `error` when nginx cut it.
 */
function read(path: string) {
  const events: string[] = [];
  const state = { events, ended: false, error: undefined as unknown };
  const done = fetch(`${proxy}${path}`)
    .then(async (response) => {
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = response.body!.pipeThrough(new SSEParserStream()).getReader();
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        events.push(next.value.data);
      }
      state.ended = true;
    })
    .catch((error) => (state.error = error));
  return Object.assign(state, { done });
}

test.runIf(available)(
  'the first event passes nginx at once, while the server holds the stream',
  async () => {
    const stream = read('/held?name=direct');
    // The server sends nothing more until released: the first event can only
    // have come through because nginx did not buffer it.
    await until(() => stream.events.length === 1, 10_000, 'the first event through nginx');
    expect(stream.events).toEqual(['first']);
    held.get('direct')!();
    await stream.done;
    expect(stream.events).toEqual(['first', 'second']);

    // Observed, not asserted: nginx 1.22 passes an idle upstream's bytes on
    // even when told to buffer (`x-accel-buffering: yes`); the header that
    // ssekit sends matters to nginx builds and setups that hold them.
    const control = read('/held?buffered&name=control');
    await until(() => held.has('control'), 10_000, 'the control stream to start');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const beforeRelease = control.events.length;
    held.get('control')!();
    await control.done;
    expect(control.events).toEqual(['first', 'second']);
    record('reverse proxy: first event', {
      proxy: 'nginx 1.22 (Debian), proxy_buffering on',
      firstEventBeforeServerSentMore: true,
      controlWithBufferingEventsSeenBeforeRelease: beforeRelease,
    });
  },
);

test.runIf(available)(
  `heartbeats keep a quiet stream open past proxy_read_timeout (${READ_TIMEOUT_S} s)`,
  async () => {
    const [withHeartbeat, without] = [read('/quiet?heartbeat'), read('/quiet')];
    await Promise.all([withHeartbeat.done, without.done]);
    expect(withHeartbeat.events).toEqual(['first', 'second']);
    expect(withHeartbeat.ended).toBe(true);
    // Control: without heartbeats nginx gives up on the upstream after the
    // timeout and ends the client's stream before the second event.
    expect(without.events).toEqual(['first']);
    expect(without.ended).toBe(false);
    expect(readFileSync(join(directory, 'error.log'), 'utf8')).toMatch(/upstream timed out/);
    record('reverse proxy: heartbeat', {
      proxyReadTimeoutSeconds: READ_TIMEOUT_S,
      quietSeconds: READ_TIMEOUT_S * 3,
      heartbeatMs: 300,
      withHeartbeat: withHeartbeat.events.length,
      withoutHeartbeat: without.events.length,
    });
  },
);
