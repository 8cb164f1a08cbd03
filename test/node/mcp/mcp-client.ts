// The SDK's own client, as its users make one, with what the tests look at:
// every request it sent (method, Last-Event-ID, when), its errors, and a
// call of a counting tool with the progress and resumption tokens it got.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface SentRequest {
  method: string;
  lastEventId: string | null;
  at: number;
}

/**
 * A connected client of the server at `url`. `route` picks another URL for a
 * request from its headers, as a load balancer without session affinity
 * would; the client's own reconnection delay (5 s) is far above any
 * server's `retry`, so a quick resume shows that `retry` was heard.
 */
export async function connectClient(url: string, route?: (headers: Headers) => string | undefined) {
  const requests: SentRequest[] = [];
  const errors: Error[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      requests.push({
        method: init?.method ?? 'GET',
        lastEventId: headers.get('last-event-id'),
        at: Date.now(),
      });
      return fetch(route?.(headers) ?? input, init);
    },
    reconnectionOptions: {
      initialReconnectionDelay: 5000,
      maxReconnectionDelay: 5000,
      reconnectionDelayGrowFactor: 1,
      maxRetries: 5,
    },
  });
  const client = new Client({ name: 'counter-client', version: '1.0.0' });
  client.onerror = (error) => errors.push(error);
  await client.connect(transport);
  return {
    client,
    transport,
    requests,
    errors,
    /** Resumes sent: GETs with a Last-Event-ID. */
    resumes: () => requests.filter((request) => request.lastEventId !== null),
    /** Calls tool `name`; resolves with the progress it heard, the tokens it got, and the result's text. */
    async count(name: string, onToken?: (token: string) => void) {
      const progress: number[] = [];
      const tokens: string[] = [];
      const result = await client.callTool({ name }, undefined, {
        onprogress: ({ progress: n }) => void progress.push(n),
        onresumptiontoken: (token) => {
          tokens.push(token);
          onToken?.(token);
        },
        timeout: 60_000,
      });
      const [content] = result.content as { type: string; text: string }[];
      return { progress, tokens, text: content?.text };
    },
    async close() {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

export const oneToHundred = Array.from({ length: 100 }, (_, n) => n + 1);
