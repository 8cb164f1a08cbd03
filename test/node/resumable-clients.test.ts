// `EventSource` (the `eventsource` package) and ssekit's own `connect`
// resume a resumable stream with Last-Event-ID, for real: between them and
// a real Node server sits a TCP proxy that destroys the connection after a
// given number of bytes (mid-event, mid-answer), as a phone changing
// network does. Each client reconnects by itself, gets the rest exactly
// once, and stops at the 204 that follows the end.
import { createServer, connect as dial, type Server, type Socket } from 'node:net';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type NodeServer, serve } from '../../adapters/runtimes/node/index.ts';
import { connect } from '../../src/client/index.ts';
import { createMemoryStreamStore, createResumableStreams } from '../../src/resumable/index.ts';

const TOKENS = Array.from({ length: 40 }, (_, n) => `token ${n} `);

const streams = createResumableStreams({ store: createMemoryStreamStore() });
/** What each request to the resume route asked and got. */
const requests: { id: string; lastEventId: string | null; status: number }[] = [];
let server: NodeServer;

beforeAll(async () => {
  server = await serve(
    async (request) => {
      const found = /^\/answers\/([^/]+)\/events$/.exec(new URL(request.url).pathname);
      if (!found) return new Response('Not found\n', { status: 404 });
      const response = await streams.resume(found[1]!, { request, retry: 50 });
      requests.push({
        id: found[1]!,
        lastEventId: request.headers.get('last-event-id'),
        status: response.status,
      });
      return response;
    },
    { grace: 200 },
  );
});

afterAll(() => server.close());

/** Starts answer `id`: a token every 10 ms, written whether or not anyone reads. */
async function startAnswer(id: string): Promise<void> {
  const started = await streams.start(id, async function* () {
    for (const token of TOKENS) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      yield { event: 'token', data: token };
    }
  });
  await started.body!.cancel(); // the clients read it on their own requests
}

/**
 * A TCP proxy to `target` that destroys its n-th connection after `cuts[n]`
 * bytes towards the client (headers included); later connections pass.
 */
async function cuttingProxy(
  target: string,
  cuts: number[],
): Promise<{ url: string; server: Server }> {
  const { port, hostname } = new URL(target);
  const proxy = createServer((client: Socket) => {
    const budget = cuts.shift() ?? Infinity;
    let sent = 0;
    const origin = dial(Number(port), hostname);
    client.pipe(origin);
    origin.on('data', (chunk: Buffer) => {
      const room = budget - sent;
      if (chunk.length < room) {
        sent += chunk.length;
        client.write(chunk);
        return;
      }
      client.end(chunk.subarray(0, room), () => client.destroy());
      origin.destroy();
    });
    origin.on('end', () => client.end());
    origin.on('error', () => client.destroy());
    client.on('error', () => origin.destroy());
    client.on('close', () => origin.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, server: proxy };
}

/** The n of the store's ids, `<epoch>-<n>`. */
const counter = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1));

function expectOnceInOrder(received: { id: string; data: string }[], id: string) {
  expect(received.map((event) => event.data)).toEqual(TOKENS);
  const numbers = received.map((event) => counter(event.id));
  expect(numbers).toEqual(TOKENS.map((_, n) => n + 1));
  // Two cuts, so two resumes, each after the last whole event the client got.
  const asked = requests.filter((request) => request.id === id);
  const resumes = asked.filter((request) => request.lastEventId !== null);
  expect(asked[0]).toEqual({ id, lastEventId: null, status: 200 });
  expect(resumes.length).toBeGreaterThanOrEqual(3); // two cuts and the end
  for (const resume of resumes) {
    expect(received.map((event) => event.id)).toContain(resume.lastEventId);
  }
  // The last: after the last token, nothing more to send: 204, and no more asking.
  expect(asked.at(-1)).toEqual({ id, lastEventId: received.at(-1)!.id, status: 204 });
}

test('EventSource resumes with Last-Event-ID after its connection is cut twice mid-answer, and stops at 204', async () => {
  const id = 'answer-eventsource';
  await startAnswer(id);
  const proxy = await cuttingProxy(server.url, [700, 450]);
  try {
    const received: { id: string; data: string }[] = [];
    const source = new EventSource(`${proxy.url}/answers/${id}/events`);
    source.addEventListener('token', (event) =>
      received.push({ id: event.lastEventId, data: event.data }),
    );
    let errors = 0;
    await new Promise<void>((resolve) => {
      source.onerror = () => {
        errors++;
        if (source.readyState === EventSource.CLOSED) resolve();
      };
    });
    expect(errors).toBeGreaterThanOrEqual(3); // two cuts and the 204
    expectOnceInOrder(received, id);
  } finally {
    proxy.server.close();
  }
}, 20_000);

test('connect() resumes with Last-Event-ID after its connection is cut twice mid-answer, and ends at 204', async () => {
  const id = 'answer-connect';
  await startAnswer(id);
  const proxy = await cuttingProxy(server.url, [520, 800]);
  try {
    const received: { id: string; data: string }[] = [];
    let reconnects = 0;
    const events = connect(`${proxy.url}/answers/${id}/events`, {
      retryDelay: 50,
      onReconnect: () => void reconnects++,
    });
    for await (const event of events) received.push({ id: event.lastEventId, data: event.data });
    expect(reconnects).toBeGreaterThanOrEqual(3);
    expectOnceInOrder(received, id);
  } finally {
    proxy.server.close();
  }
}, 20_000);
