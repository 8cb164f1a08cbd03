/**
 * The demo is local by default: it listens on 127.0.0.1 only, answers only
 * its own host names (DNS rebinding sends another), and refuses writes from
 * another origin (a page elsewhere that posts with the user's browser).
 */
import { request as httpRequest } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ExampleServer, startExample } from './examples-helpers.ts';

/** A raw HTTP/1.1 request to 127.0.0.1 (or `address`), with any Host and headers. */
function send(
  port: number,
  path: string,
  { method = 'GET', headers = {}, body = '', address = '127.0.0.1' } = {} as {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    address?: string;
  },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: address, port, path, method, headers: { host: `localhost:${port}`, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject).end(body);
  });
}

/** This machine's first address that is not loopback (the test container has one). */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && !entry.internal && entry.family === 'IPv4')?.address;

describe('the demo, as npm run demo starts it', () => {
  let server: ExampleServer;
  let port: number;
  beforeAll(async () => {
    server = await startExample('dashboard', { ALLOWED_HOSTS: 'demo.test' });
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server.stop());

  test('it says it listens on this machine only, and another interface is refused', async () => {
    expect(server.output()).toMatch(/listening on http:\/\/localhost:\d+ \(this machine only/);
    expect(outside).toBeDefined();
    await expect(send(port, '/', { address: outside! })).rejects.toThrow(/ECONNREFUSED/);
  });

  test.each(['localhost', '127.0.0.1', '[::1]', 'demo.test', 'LOCALHOST'])(
    'Host %s is answered',
    async (host) => {
      expect((await send(port, '/', { headers: { host: `${host}:${port}` } })).status).toBe(200);
    },
  );

  test.each(['attacker.example', '192.0.2.99', 'localhost.attacker.example'])(
    'Host %s (a rebound name) gets 421 and nothing else',
    async (host) => {
      const state = await send(port, '/notifications/state', { headers: { host } });
      expect(state.status).toBe(421);
      expect(state.text).not.toContain('unread');
      const events = await send(port, '/logs/events', { headers: { host: `${host}:${port}` } });
      expect(events.status).toBe(421);
    },
  );

  test('a cross-origin write is refused with 403 and changes nothing', async () => {
    const unread = async () => JSON.parse((await send(port, '/notifications/state')).text).unread;
    const before = await unread();
    const attacks: Record<string, string>[] = [
      { origin: 'http://attacker.example' },
      { origin: 'null' },
      { origin: `http://localhost:${port + 1}` },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of attacks) {
      for (const path of ['/notifications/send', '/notifications/read', '/drop']) {
        const response = await send(port, path, { method: 'POST', headers, body: 'injected' });
        expect([path, headers, response.status]).toEqual([path, headers, 403]);
      }
    }
    expect(await unread()).toBe(before);
    expect(JSON.parse((await send(port, '/notifications/state')).text).recent).not.toContainEqual(
      expect.objectContaining({ text: 'injected' }),
    );
  });

  test('writes from its own origin, or from no browser at all, are answered', async () => {
    const own = { origin: `http://localhost:${port}`, 'sec-fetch-site': 'same-origin' };
    const sent = await send(port, '/notifications/send', {
      method: 'POST',
      headers: own,
      body: 'from the page',
    });
    expect(sent.status).toBe(200);
    const scripted = await send(port, '/notifications/send', { method: 'POST', body: 'curl' });
    expect(scripted.status).toBe(200);
    const recent = JSON.parse((await send(port, '/notifications/state')).text).recent;
    expect(recent.map((n: { text: string }) => n.text)).toEqual(
      expect.arrayContaining(['from the page', 'curl']),
    );
  });
});

test('HOST=0.0.0.0 exposes it on every interface, still with the Host check', async () => {
  const server = await startExample('dashboard', { HOST: '0.0.0.0' });
  try {
    const port = Number(new URL(server.url).port);
    const there = await send(port, '/', {
      address: outside!,
      headers: { host: `${outside}:${port}` },
    });
    expect(there.status).toBe(200);
    const rebound = await send(port, '/', {
      address: outside!,
      headers: { host: 'attacker.example' },
    });
    expect(rebound.status).toBe(421);
  } finally {
    await server.stop();
  }
});
