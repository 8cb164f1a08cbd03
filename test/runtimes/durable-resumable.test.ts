/**
 * Resumable streams in Durable Objects (ssekit/durable-objects) on real
 * workerd (miniflare, SQLite-backed objects kept on disk): the contract of
 * every stream store, run inside workerd; a start read uncut, then resumed
 * from other requests, byte for byte; followers live within milliseconds
 * (readers poll only every 10 s here, so anything faster came by notice);
 * a stop from another request; a second start that joins; the object's
 * instance restarted mid-stream; a producer that dies (its lease, run out
 * by the object's alarm); workerd restarted on the same storage; hostile ids.
 * The fixture: test/runtimes/fixture/durable-streams.ts.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { streamStoreChecks } from '../core/stream-store-contract.ts';
import { bundle } from './harness.ts';

const persist = mkdtempSync(join(tmpdir(), 'ssekit-do-streams-'));
afterAll(() => rmSync(persist, { recursive: true, force: true }));

/** The fixture Worker on workerd, its objects' SQLite kept in `persist`. */
async function serve() {
  const mf = new Miniflare({
    modules: true,
    scriptPath: await bundle('durable-streams.ts', 'neutral', ['cloudflare:workers']),
    compatibilityDate: '2025-06-01',
    durableObjects: { STREAMS: { className: 'TestStreams', useSQLite: true } },
    durableObjectsPersist: persist,
    host: '127.0.0.1',
    port: 0,
  });
  return { url: (await mf.ready).origin, stop: () => mf.dispose() };
}

/** One event as it arrived: its block of text, its fields, when it came (Node's clock). */
interface Arrived {
  block: string;
  id?: string;
  event?: string;
  data?: string;
  at: number;
}

/** A response read as it comes, each complete message timed (comments are counted only). */
class Reader {
  text = '';
  ended = false;
  comments = 0;
  readonly events: Arrived[] = [];
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  readonly #decoder = new TextDecoder();
  #rest = '';

  constructor(readonly response: Response) {
    this.#reader = response.body?.getReader();
    this.ended = !this.#reader;
  }

  get tokens() {
    return this.events.filter((event) => event.event === 'token');
  }

  /** The messages' bytes: the text without its comments (the one that opens every response). */
  get messages() {
    return this.events.map((event) => event.block).join('');
  }

  async until(done: (reader: Reader) => boolean, ms = 10_000): Promise<this> {
    const deadline = Date.now() + ms;
    while (!done(this)) {
      if (this.ended) throw new Error(`ended before the condition held:\n${this.text}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${ms} ms:\n${this.text}`)),
          deadline - Date.now(),
        );
      });
      const read = await Promise.race([this.#reader!.read(), late]).finally(() =>
        clearTimeout(timer),
      );
      if (read.done) {
        this.ended = true;
        continue;
      }
      const at = Date.now();
      const chunk = this.#decoder.decode(read.value, { stream: true });
      this.text += chunk;
      const blocks = (this.#rest + chunk).split('\n\n');
      this.#rest = blocks.pop()!;
      for (const block of blocks) {
        const event: Arrived = { block: `${block}\n\n`, at };
        if (block.startsWith(':')) {
          this.comments++;
          continue;
        }
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          if (field === 'id' || field === 'event' || field === 'data') {
            event[field] = line.slice(colon + 2);
          }
        }
        this.events.push(event);
      }
    }
    return this;
  }

  toEnd(ms?: number): Promise<this> {
    return this.until((reader) => reader.ended, ms);
  }

  /** Leaves mid-stream, as a reloaded page does. */
  leave(): void {
    this.#reader?.cancel().catch(() => {});
  }
}

let ids = 0;
const freshId = (name: string) => `${name}-${Date.now().toString(36)}-${++ids}`;

describe('resumable streams in Durable Objects, on workerd', () => {
  let instance: Awaited<ReturnType<typeof serve>>;
  const request = (path: string, init?: RequestInit) => fetch(`${instance.url}${path}`, init);
  const reader = async (path: string, init?: RequestInit) => new Reader(await request(path, init));
  const start = (id: string, query = '') => reader(`/chat/${id}?${query}`, { method: 'POST' });
  const resume = (id: string, headers: Record<string, string> = {}, from = '') =>
    reader(`/chat/${id}/stream${from ? `?from=${from}` : ''}`, { headers });
  const made = async (id: string) =>
    (await (await request(`/chat/${id}/made`)).json()) as { runs?: number; abortedAt?: number };

  beforeAll(async () => {
    instance = await serve();
  }, 30_000);
  afterAll(() => instance?.stop());

  test('the store keeps the contract of every stream store, run inside workerd', async () => {
    expect(await (await request('/contract')).json()).toEqual(streamStoreChecks);
  }, 30_000);

  test('a page past an RPC value’s 32 MiB comes in parts; a body past SQLite’s row bound ends the stream too-large', async () => {
    expect(await (await request('/big')).json()).toEqual({
      read: 20,
      refused: { ok: false, end: { state: 'errored', reason: 'too-large' } },
      status: 'errored',
    });
  }, 30_000);

  test('a start read uncut, then resumed from the start and after every id from other requests: byte for byte the same', async () => {
    const id = freshId('bytes');
    const uncut = await (await start(id, 'chunks=30')).toEnd();
    expect(uncut.response.status).toBe(200);
    expect(uncut.tokens.map((event) => event.data!.split(' ')[1])).toEqual(
      Array.from({ length: 30 }, (_, n) => String(n)),
    );
    expect(uncut.events.every((event) => event.id !== undefined)).toBe(true);
    expect(uncut.text).toBe(`:\n\n${uncut.messages}`); // one comment opens a response
    const again = await (await resume(id, {}, 'start')).toEnd();
    expect(again.text).toBe(uncut.text);
    // A client cut after each chunk, resumed with Last-Event-ID.
    let offset = 0;
    for (const [n, event] of uncut.events.entries()) {
      offset += event.block.length;
      const rest = await resume(id, { 'last-event-id': event.id! });
      if (n === uncut.events.length - 1) {
        expect(rest.response.status).toBe(204); // ended, nothing after the cursor
        continue;
      }
      expect((await rest.toEnd()).text).toBe(`:\n\n${uncut.messages.slice(offset)}`);
    }
  }, 30_000);

  test('followers on other requests, one from the start and one after a reload, get every chunk within milliseconds', async () => {
    const id = freshId('live');
    const first = await start(id, 'chunks=40&delay=25');
    await first.until((r) => r.tokens.length >= 3);
    const tab = await resume(id, {}, 'start');
    const reload = await resume(id, { 'last-event-id': first.tokens[2]!.id! });
    await Promise.all([first.toEnd(), tab.toEnd(), reload.toEnd()]);
    expect(first.tokens).toHaveLength(40);
    expect(tab.text).toBe(first.text);
    expect(reload.messages).toBe(
      first.messages.slice(first.messages.indexOf(first.tokens[3]!.block)),
    );
    // From the source's clock to the follower's read: the tab joined at
    // chunk 3, so the chunks after 5 reached it live.
    const latency = tab.tokens
      .slice(6)
      .map((event) => event.at - Number(event.data!.split(' ')[2]));
    latency.sort((a, b) => a - b);
    console.log(
      `chunk latency to a follower, ms: p50 ${latency[latency.length >> 1]}, max ${latency.at(-1)}`,
    );
    expect(latency[latency.length >> 1]).toBeLessThan(250);
    expect(latency.at(-1)).toBeLessThan(5000); // a lost notice would wait for the 10 s poll
  }, 30_000);

  test('the client of the start leaves mid-answer: the producer runs on (waitUntil) and a resume reads the whole answer', async () => {
    const id = freshId('leave');
    const first = await start(id, 'chunks=30&delay=20&lease=1000');
    await first.until((r) => r.tokens.length >= 3);
    first.leave();
    const later = await (await resume(id, {}, 'start')).toEnd(8000);
    expect(later.tokens.map((event) => event.data!.split(' ')[1])).toEqual(
      Array.from({ length: 30 }, (_, n) => String(n)),
    );
    expect(later.events.at(-1)!.event).toBe('token'); // done: no end message
    expect(await (await request(`/chat/${id}/status`)).text()).toBe('done');
  }, 30_000);

  test('a producer cut off with its request (no waitUntil, or past its limit): readers get what it wrote, then producer-lost', async () => {
    const id = freshId('cut');
    const first = await start(id, 'chunks=30&delay=20&lease=1000&nowait');
    await first.until((r) => r.tokens.length >= 3);
    first.leave();
    const later = await (await resume(id, {}, 'start')).toEnd(8000);
    expect(later.tokens.length).toBeGreaterThanOrEqual(3);
    expect(later.tokens.length).toBeLessThan(30);
    expect(later.events.at(-1)).toMatchObject({ event: 'end', data: 'errored producer-lost' });
  }, 30_000);

  test('a stop from another request ends the stream for every reader and aborts a quiet producer at once', async () => {
    const id = freshId('stop');
    // Five chunks, then quiet: the producer learns of the stop from the
    // object's notice, not from a refused append (its renewal is 5 s away).
    const first = await start(id, 'chunks=5&hang');
    const tab = await resume(id, {}, 'start');
    await first.until((r) => r.tokens.length === 5);
    const asked = Date.now();
    const answer = await (await request(`/chat/${id}/stop`, { method: 'POST' })).json();
    expect(answer).toMatchObject({ stopped: true });
    for (const reader of [first, tab]) {
      await reader.toEnd(3000); // told by notice: a reader polls every 10 s
      expect(reader.events.at(-1)).toMatchObject({ event: 'end', data: 'stopped' });
    }
    expect(tab.text).toBe(first.text);
    let seen = await made(id);
    for (let tries = 0; seen.abortedAt === undefined && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen = await made(id);
    }
    console.log(`stop to the producer's signal: ${seen.abortedAt! - asked} ms`);
    expect(seen.abortedAt! - asked).toBeLessThan(2000);
    expect(await (await request(`/chat/${id}/status`)).text()).toBe('stopped');
    const again = await (await request(`/chat/${id}/stop`, { method: 'POST' })).json();
    expect(again).toMatchObject({ stopped: false });
  }, 30_000);

  test('a second start of a running id joins it: the same answer, its own source never run', async () => {
    const id = freshId('join');
    const first = await start(id, 'chunks=20&delay=20&tag=a');
    await first.until((r) => r.tokens.length >= 2);
    const second = await start(id, 'chunks=20&tag=b');
    await Promise.all([first.toEnd(), second.toEnd()]);
    expect(second.text).toBe(first.text);
    expect(first.tokens.every((event) => event.data!.startsWith('a '))).toBe(true);
    expect((await made(id)).runs).toBe(1);
  }, 30_000);

  test("the object's instance restarted again and again mid-stream: the producer and the readers go on, nothing lost or doubled", async () => {
    const id = freshId('restart');
    // A chunk every 10 ms and five readers: restarts land in the middle of
    // appends, held calls and reads.
    const first = await start(id, 'chunks=150&delay=10');
    const readers = [
      first,
      ...(await Promise.all([1, 2, 3, 4].map(() => resume(id, {}, 'start')))),
    ];
    await first.until((r) => r.tokens.length >= 10);
    for (let n = 0; n < 6; n++) {
      const restarted = await (await request(`/chat/${id}/restart`, { method: 'POST' })).json();
      expect(restarted).toEqual({ restarted: true });
      await new Promise((resolve) => setTimeout(resolve, 120));
    }
    // Within 5 s: a reader that lost its notices would wait for its 10 s poll.
    await Promise.all(readers.map((reader) => reader.toEnd(20_000)));
    expect(first.tokens.map((event) => event.data!.split(' ')[1])).toEqual(
      Array.from({ length: 150 }, (_, n) => String(n)),
    );
    for (const reader of readers) expect(reader.text).toBe(first.text);
    // After the restarts, notices again: the last 40 chunks' median latency
    // (a watch left on a broken stub paced its reader at 270-290 ms).
    for (const reader of readers) {
      const latency = reader.tokens
        .slice(-40)
        .map((event) => event.at - Number(event.data!.split(' ')[2]))
        .sort((a, b) => a - b);
      expect(latency[20]).toBeLessThan(150);
    }
    expect((await (await resume(id, {}, 'start')).toEnd()).text).toBe(first.text);
  }, 30_000);

  test("a producer that dies: the object's alarm ends the stream producer-lost, and a waiting reader is told at once", async () => {
    const id = freshId('lost');
    const began = Date.now();
    expect(await (await request(`/chat/${id}/lost?lease=600`, { method: 'POST' })).text()).toBe(
      'lost\n',
    );
    const follower = await (await resume(id)).toEnd(8000);
    const waited = Date.now() - began;
    console.log(`a lease of 600 ms ran out; the follower was told after ${waited} ms`);
    expect(follower.events.map(({ event, data }) => ({ event, data }))).toEqual([
      { event: 'token', data: 'only' },
      { event: 'end', data: 'errored producer-lost' },
    ]);
    expect(waited).toBeGreaterThanOrEqual(600);
    expect(waited).toBeLessThan(5000); // told by the alarm, not by its 10 s poll
  }, 30_000);

  test("retention after the end, the object's alarm deletes the stream, with no request to it", async () => {
    const id = freshId('retention');
    await (await start(id, 'chunks=3&retention=500')).toEnd();
    const tables = async () => (await request(`/chat/${id}/tables`)).json();
    expect(await tables()).toEqual(['ssekit_stream', 'ssekit_stream_entries']);
    let left = await tables();
    for (let tries = 0; left.length > 0 && tries < 60; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await tables();
    }
    expect(left).toEqual([]);
    expect(await (await request(`/chat/${id}/status`)).text()).toBe('unknown');
  }, 30_000);

  test('hostile ids are answered 400 and name no object', async () => {
    // The files of objects made since `before` (alarms of other tests' streams may delete some).
    const files = () => new Set(readdirSync(persist, { recursive: true }).map(String));
    const made = (before: Set<string>) => [...files()].filter((file) => !before.has(file));
    await request(`/status?id=${freshId('warm')}`); // the namespace's folder exists
    const before = files();
    for (const id of ['a'.repeat(129), 'a%0Ab', 'a%3Ab', '%C3%BC', 'a%20b', 'a%2Fb', '%00', 'a*']) {
      for (const path of [`/status?id=${id}`, `/chat/${id}/stream`, `/chat/${id}/status`]) {
        const answer = await request(path);
        expect(answer.status, path).toBe(400);
        expect(await answer.text()).toMatch(/^.*: expected a stream id of 1 to 128 characters/);
      }
    }
    expect(made(before)).toEqual([]);
    // Where a valid id does name an object (so the check above can fail).
    await request(`/status?id=${freshId('valid')}`);
    expect(made(before).length).toBeGreaterThan(0);
  }, 30_000);

  test('workerd restarted on the same storage: an ended stream reads the same, one whose producer died ends producer-lost', async () => {
    const [done, dying] = [freshId('kept'), freshId('dying')];
    const whole = await (await start(done, 'chunks=12')).toEnd();
    const cut = await start(dying, 'chunks=100000&delay=30&lease=1000');
    await cut.until((r) => r.tokens.length >= 3);
    await instance.stop(); // the producer's Worker with it
    instance = await serve();
    expect((await (await resume(done, {}, 'start')).toEnd()).text).toBe(whole.text);
    const after = await (await resume(dying, {}, 'start')).toEnd(8000);
    expect(after.tokens.length).toBeGreaterThanOrEqual(3);
    expect(after.messages.startsWith(cut.messages)).toBe(true);
    expect(after.events.at(-1)).toMatchObject({ event: 'end', data: 'errored producer-lost' });
  }, 30_000);
});
