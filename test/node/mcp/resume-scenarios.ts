// The three scenarios every deployment of the test MCP server goes
// through, with the SDK's client: a cut mid-stream, a stream closed on
// purpose (SEP-1699), and one session's client trying another's event ids.
import { expect } from 'vitest';
import type { McpEventStores } from '../../../src/mcp/index.ts';
import { startCutProxy } from './cut-proxy.ts';
import { connectClient, oneToHundred } from './mcp-client.ts';
import type { McpServerStats } from './mcp-server.ts';

/** The `retry` of the servers' priming events, in ms. */
export const RETRY = 150;

export interface Deployment {
  /** The server that makes the sessions and runs the tools. */
  owner: { url: string; stats(): Promise<McpServerStats> };
  /** Where resumes go, when not to the owner (a second process). */
  other?: { url: string; stats(): Promise<McpServerStats> };
  /** The stores, as another process would open them: to see what a session keeps. */
  stores: McpEventStores;
}

export const portOf = (url: string) => Number(new URL(url).port);
const routeOf = (deployment: Deployment) =>
  deployment.other
    ? (headers: Headers) => (headers.has('last-event-id') ? deployment.other!.url : undefined)
    : undefined;

export async function cutAndResumed(deployment: Deployment) {
  const proxy = await startCutProxy(portOf(deployment.owner.url), 30);
  const client = await connectClient(proxy.url, routeOf(deployment));
  try {
    const { progress, tokens, text } = await client.count('count');
    expect(proxy.cuts).toBe(1);
    expect(progress).toEqual(oneToHundred); // all of them, once each, in order
    expect(text).toBe('counted to 100');
    const [first] = client.resumes();
    // The first resume came from where the cut left the client: mid-stream.
    expect(tokens.indexOf(first!.lastEventId!)).toBeGreaterThanOrEqual(1);
    expect(tokens.indexOf(first!.lastEventId!)).toBeLessThan(100);
    const owner = await deployment.owner.stats();
    if (deployment.other) {
      expect(owner.resumes).toBe(0);
      expect((await deployment.other.stats()).replays).toBeGreaterThanOrEqual(1);
    } else expect(owner.resumes).toBeGreaterThanOrEqual(1);
    // Ending the session deletes its events.
    const store = deployment.stores.session(client.transport.sessionId!);
    expect(await store.getStreamIdForEventId(tokens[1]!)).toBeDefined();
    await client.close();
    expect(await store.getStreamIdForEventId(tokens[1]!)).toBeUndefined();
  } finally {
    await client.close();
    await proxy.close();
  }
}

export async function closedOnPurpose(deployment: Deployment) {
  const client = await connectClient(deployment.owner.url, routeOf(deployment));
  try {
    const { progress, tokens, text } = await client.count('count-closing');
    expect(progress).toEqual(oneToHundred);
    expect(text).toBe('counted to 100');
    const { closedAt } = await deployment.owner.stats();
    expect(closedAt).toHaveLength(1);
    // The client had the priming event and 50 notifications when the stream
    // closed; it came back from the 50th after the server's retry, not its
    // own reconnection delay (5 s).
    const [first] = client.resumes();
    expect(first!.lastEventId).toBe(tokens[50]);
    expect(first!.at - closedAt[0]!).toBeGreaterThanOrEqual(RETRY - 5);
    expect(first!.at - closedAt[0]!).toBeLessThan(4000);
    if (deployment.other)
      expect((await deployment.other.stats()).replays).toBeGreaterThanOrEqual(1);
  } finally {
    await client.close();
  }
}

export async function crossSession(deployment: Deployment) {
  const route = routeOf(deployment);
  const victim = await connectClient(deployment.owner.url, route);
  const attacker = await connectClient(deployment.owner.url, route);
  try {
    const stolen: string[] = [];
    let enough!: () => void;
    const twenty = new Promise<void>((resolve) => (enough = resolve));
    const call = victim.count('count', (token) => {
      if (stolen.push(token) === 20) enough();
    });
    await twenty;
    const epoch = stolen[0]!.slice(0, stolen[0]!.lastIndexOf('-'));
    const tries = [
      ...stolen.slice(0, 3),
      stolen.at(-1)!,
      '_GET_stream:1',
      '_GET_stream_1',
      '_GET_stream',
      `${epoch}-1`,
      `${epoch}-0`,
      `${epoch}-${stolen.length + 1}`,
      crypto.randomUUID(),
    ];
    const bases = [deployment.owner.url, deployment.other?.url].filter((url) => url !== undefined);
    for (const id of tries) {
      // The SDK's own resume: refused, 400.
      await expect(attacker.transport.resumeStream(id)).rejects.toMatchObject({ code: 400 });
      // On every process, nothing of the victim's in the answer.
      for (const base of bases) {
        const response = await fetch(base, {
          headers: {
            accept: 'text/event-stream',
            'mcp-session-id': attacker.transport.sessionId!,
            'mcp-protocol-version': attacker.transport.protocolVersion!,
            'last-event-id': id,
          },
        });
        expect([id, response.status]).toEqual([id, 400]);
        expect(await response.text()).not.toContain('progress');
      }
    }
    // The victim's stream was not taken: it gets everything.
    const { progress, text } = await call;
    expect(progress).toEqual(oneToHundred);
    expect(text).toBe('counted to 100');
    expect(attacker.errors.filter((error) => /progress notification/.test(error.message))).toEqual(
      [],
    );
  } finally {
    await victim.close();
    await attacker.close();
  }
}
