import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { toNodeHandler } from '../../adapters/runtimes/node/index.ts';
import { SSEParseError, SSEParserStream } from '../../src/client/index.ts';
import { createHub } from '../../src/hub/index.ts';
import { lastEventIdFrom, sseResponse } from '../../src/index.ts';
import { hostile } from './hostile-arbitraries.ts';
import { record, scale } from './scenario-helpers.ts';

// Hostile input, part two: the Last-Event-ID a client sends (NUL, CR/LF,
// 1 MB, bytes that are not UTF-8), in process and over a real socket, and the
// parser fed random bytes and endless lines. An invalid id counts as absent;
// nothing crashes; the parser's memory stays within its limits.
const RUNS = scale(3_000, 100_000);
// Each of these runs a stream and a hub subscription: slower, so fewer at CI scale.
const STREAM_RUNS = scale(1_000, 100_000);
const SOCKET_RUNS = scale(300, 5_000);
const MB = 1024 * 1024;

const lastEventId = fc.oneof(
  hostile,
  fc.string({ unit: 'binary', minLength: 1000, maxLength: 1100 }),
  fc.tuple(fc.integer({ min: 1, max: MB }), hostile).map(([n, tail]) => 'a'.repeat(n) + tail),
  // Bytes as Node hands them over when they are not UTF-8: one char per byte.
  fc.uint8Array({ maxLength: 64 }).map((bytes) => String.fromCharCode(...bytes)),
);
const valid = (id: string) => id.length <= 1024 && !/[\r\n\0]/.test(id);

/** A Request as a framework might hand one over: any header text at all. */
function requestWith(header: string | null, query = '') {
  const url = new URL('http://localhost/events');
  // A URL carries no lone surrogate: it becomes U+FFFD, as in any URL.
  url.searchParams.set('lastEventId', query);
  const request = {
    url: url.href,
    headers: { get: (name: string) => (name === 'last-event-id' ? header : null) },
  } as unknown as Request;
  return { request, sent: header ?? url.searchParams.get('lastEventId')! };
}

test(`Last-Event-ID in process: invalid means absent, and a hub never replays or injects on it (${STREAM_RUNS} runs)`, async () => {
  const hub = createHub();
  let absent = 0;
  await fc.assert(
    fc.asyncProperty(lastEventId, fc.boolean(), async (id, viaQuery) => {
      const { request, sent } = viaQuery ? requestWith(null, id) : requestWith(id);
      const found = lastEventIdFrom(request, { queryParam: 'lastEventId' });
      expect(found).toBe(valid(sent) ? sent : undefined);
      if (found === undefined) absent++;
      let seen: string | undefined;
      const response = sseResponse(
        (ctx) => {
          seen = ctx.lastEventId;
          return hub.subscribe('t', ctx);
        },
        { request, heartbeat: false, lastEventIdParam: 'lastEventId' },
      );
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('data: after')) {
        if (text === ':\n\n') await hub.publish('t', 'after');
        text += (await reader.read()).value;
      }
      await reader.cancel();
      expect(seen).toBe(found);
      // A preamble, the reset event for an id this log does not know, then
      // the live message: no other event, whatever the id said.
      expect(text).toMatch(
        /^:\n\n(event: reset\nid: [^\n]*\ndata: \n\n)?id: [^\n]+\ndata: after\n\n$/,
      );
      expect(text.includes('event: reset')).toBe(found !== undefined && found !== '');
    }),
    { numRuns: STREAM_RUNS },
  );
  await hub.close({ grace: 0 });
  record('hostile input: Last-Event-ID (in process)', { runs: STREAM_RUNS, absent, crashes: 0 });
});

let server: Server;
let port = 0;
const seenIds: (string | undefined)[] = [];
beforeAll(async () => {
  const app = (request: Request) =>
    sseResponse(
      (ctx) => {
        seenIds.push(ctx.lastEventId);
        return ['ok'];
      },
      { request },
    );
  server = createServer(toNodeHandler(app));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

/** Sends raw bytes as the Last-Event-ID header; resolves with the response's status line. */
function ask(header: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.once('close', () => resolve(answer.slice(0, answer.indexOf('\r\n'))));
    socket.write('GET /events HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\nlast-event-id: ');
    socket.write(header);
    socket.end('\r\n\r\n');
  });
}

test(`Last-Event-ID over a socket: raw bytes, NUL, CR, LF, 1 MB (${SOCKET_RUNS} runs)`, async () => {
  const statuses: Record<string, number> = {};
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => new Uint8Array([0x31, ...b, 0x32])),
    fc.integer({ min: 1, max: MB }).map((n) => new Uint8Array(n).fill(0x61)),
  );
  await fc.assert(
    fc.asyncProperty(bytes, async (header) => {
      const status = await ask(header);
      statuses[status] = (statuses[status] ?? 0) + 1;
      // Node refuses what HTTP forbids (400, 431 for huge headers); ssekit gets the rest.
      expect(status).toMatch(/^HTTP\/1\.1 (200|400|431) /);
    }),
    { numRuns: SOCKET_RUNS },
  );
  expect(await ask(new TextEncoder().encode('7'))).toBe('HTTP/1.1 200 OK');
  for (const id of seenIds) if (id !== undefined) expect(valid(id)).toBe(true);
  record('hostile input: Last-Event-ID (socket)', { runs: SOCKET_RUNS, statuses, crashes: 0 });
});

/** Parses bytes cut into the given pieces; the events, or the parse error's code. */
async function parse(
  pieces: Uint8Array[],
  limits: { maxLineLength: number; maxEventLength: number },
) {
  const events: string[] = [];
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
  const reader = source.pipeThrough(new SSEParserStream(limits)).getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      expect(next.value.data.length).toBeLessThanOrEqual(limits.maxEventLength);
      events.push(JSON.stringify([next.value.event, next.value.data, next.value.lastEventId]));
    }
    return { events };
  } catch (error) {
    expect(error).toBeInstanceOf(SSEParseError);
    return { events, error: (error as SSEParseError).reason };
  }
}

test(`parser: random bytes, cut anywhere, parse the same as whole, within limits (${RUNS} runs)`, async () => {
  // Bytes that matter to the format, often; any byte, sometimes.
  const byte = fc.oneof(
    fc.constantFrom(...[...'data: event:id:retry:\n\r\n\r'].map((c) => c.charCodeAt(0))),
    fc.constantFrom(0, 0xef, 0xbb, 0xbf, 0xff, 0x80, 0xc3),
    fc.integer({ min: 0, max: 255 }),
  );
  const limits = { maxLineLength: 48, maxEventLength: 96 };
  let errors = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(byte, { maxLength: 1000, size: 'large' }),
      fc.array(fc.nat()),
      async (list, cuts) => {
        const bytes = Uint8Array.from(list);
        const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort(
          (a, b) => a - b,
        );
        const pieces = [0, ...points, bytes.length]
          .slice(1)
          .map((end, index, ends) => bytes.subarray(index ? ends[index - 1] : 0, end));
        const whole = await parse([bytes], limits);
        const cut = await parse(pieces, limits);
        // The same events before a limit error; the error itself may come later when cut.
        if (whole.error === undefined && cut.error === undefined) expect(cut).toEqual(whole);
        else expect(whole.error ?? cut.error).toBeDefined();
        if (whole.error) errors++;
      },
    ),
    { numRuns: RUNS },
  );
  record('hostile input: parser', { runs: RUNS, limitErrors: errors, crashes: 0 });
});

test('parser: an endless line is refused once past its limit, not buffered', async () => {
  const chunk = new TextEncoder().encode('a'.repeat(64 * 1024));
  let fed = 0;
  const endless = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(new TextEncoder().encode('data: ')),
    pull(controller) {
      fed += chunk.length;
      if (fed > 256 * MB) throw new Error('the parser kept buffering');
      controller.enqueue(chunk);
    },
  });
  const reader = endless.pipeThrough(new SSEParserStream({ maxLineLength: MB })).getReader();
  await expect(reader.read()).rejects.toBeInstanceOf(SSEParseError);
  // Refused within a chunk or two of the limit, whatever was still coming.
  expect(fed).toBeLessThanOrEqual(MB + 3 * chunk.length);
  record('hostile input: endless line', { limitMB: 1, fedMB: +(fed / MB).toFixed(2) });
});
