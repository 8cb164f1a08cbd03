// The property round trip over a real HTTP server: messages written by
// encodeMessage come back identical through connect and our EventSource,
// and undici's EventSource and the `eventsource` package read the same.
import { EventSource as PackageEventSource } from 'eventsource';
import fc from 'fast-check';
import { EventSource as UndiciEventSource } from 'undici';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect, EventSource } from '../../src/client/index.ts';
import { encodeMessage } from '../../src/index.ts';
import { expectedEvents, messages, type RoundTripMessage } from '../core/parser-arbitraries.ts';
import { startServer } from './client-server.ts';

type Seen = [event: string, data: string, lastEventId: string];

// A named event 'open' or 'error' would be indistinguishable from the
// EventSource's own events; the sentinel 'end' marks the end of a body.
const RESERVED = ['open', 'error', 'end'];
const safeMessages = messages.filter((list) =>
  list.every((m) => !RESERVED.includes(m.event ?? '')),
);

const bodies: string[] = [];
let server: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  server = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // The body, then the sentinel; the response stays open, so no client
    // reconnects while the test reads.
    res.write(bodies[Number(req.url!.slice(1))]! + 'event: end\ndata: end\n\n');
  });
});
afterAll(() => server.close());

interface EventSourceLike {
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

/** Reads one body with an EventSource implementation, listening for every event name used. */
function readWith(source: EventSourceLike, names: string[]): Promise<Seen[]> {
  return new Promise((resolve) => {
    const seen: Seen[] = [];
    for (const name of new Set(names)) {
      source.addEventListener(name, (event) => seen.push([name, event.data, event.lastEventId]));
    }
    source.addEventListener('end', () => {
      source.close();
      resolve(seen);
    });
  });
}

async function readWithConnect(url: string): Promise<Seen[]> {
  const seen: Seen[] = [];
  for await (const { event, data, lastEventId } of connect(url)) {
    if (event === 'end') break;
    seen.push([event, data, lastEventId]);
  }
  return seen;
}

const publish = (list: RoundTripMessage[]) => {
  bodies.push(list.map((m) => encodeMessage(m)).join(''));
  return `${server.url}/${bodies.length - 1}`;
};

test('connect, our EventSource, undici and eventsource read what encodeMessage wrote', async () => {
  await fc.assert(
    fc.asyncProperty(safeMessages, async (list) => {
      const url = publish(list);
      const expected = expectedEvents(list).events.map(
        ({ event, data, lastEventId }): Seen => [event, data, lastEventId],
      );
      const names = expected.map(([event]) => event);
      const [ours, ourEventSource, undici, eventsource] = await Promise.all([
        readWithConnect(url),
        readWith(new EventSource(url), names),
        readWith(new UndiciEventSource(url) as unknown as EventSourceLike, names),
        readWith(new PackageEventSource(url) as unknown as EventSourceLike, names),
      ]);
      expect(ours).toEqual(expected);
      expect(ourEventSource).toEqual(expected);
      expect(undici).toEqual(expected);
      // The `eventsource` package sets lastEventId from each event's own id
      // and does not keep it across events as the spec does ("the buffer
      // does not get reset"): compare its value with the block's own id.
      expect(eventsource).toEqual(
        expectedEvents(list).events.map(({ event, data, id }) => [event, data, id ?? '']),
      );
    }),
    { numRuns: 60 },
  );
});
