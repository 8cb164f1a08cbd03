import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundleFixture } from '../fixture-helpers.ts';
import { redisAvailable, startRedis, type TestRedis } from '../hub/redis-server.ts';

// Resumable streams on Redis across real server processes (one on ioredis,
// one on node-redis, the fixture resumable-process.ts): started on one and
// resumed on the other, stopped from the other, followed from both; and the
// faults: Redis killed and restarted mid-stream, the producer's process
// killed, hostile ids. Redis writes every command to its append-only file
// before it answers, so a restart keeps what was acknowledged.
const available = redisAvailable();
const LEASE = 3000;
const POLL = 250;
let bundle = '';
let redis: TestRedis;
let admin: Redis;
const children = new Set<ChildProcess>();
let a: Instance;
let b: Instance;

interface Instance {
  url: string;
  /** Resolves with the Date.now() at which the producer of `id` saw its signal abort. */
  aborted(id: string): Promise<number>;
  kill(): Promise<void>;
}

async function startInstance(client: 'ioredis' | 'node-redis'): Promise<Instance> {
  const child = spawn(process.execPath, [bundle], {
    env: {
      ...process.env,
      REDIS_URL: redis.url,
      REDIS_CLIENT: client,
      LEASE: String(LEASE),
      POLL: String(POLL),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  let output = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (chunk) => {
    output += chunk;
    for (const wake of waiters.splice(0)) wake();
  });
  const seen = async (pattern: RegExp) => {
    for (;;) {
      const match = pattern.exec(output);
      if (match) return match;
      if (child.exitCode !== null) throw new Error(`the ${client} process exited`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const port = (await seen(/ready (\d+)/))[1];
  return {
    url: `http://127.0.0.1:${port}`,
    aborted: async (id) => Number((await seen(new RegExp(`aborted ${id} (\\d+)`)))[1]),
    kill: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
        children.delete(child);
      }),
  };
}

beforeAll(async () => {
  if (!available) return;
  [bundle, redis] = await Promise.all([
    bundleFixture('test/node/resumable/resumable-process.ts'),
    startRedis({ appendonly: true }),
  ]);
  admin = new Redis(redis.url).on('error', () => {}); // Redis restarts in a test
  [a, b] = await Promise.all([startInstance('ioredis'), startInstance('node-redis')]);
}, 30_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  admin?.disconnect();
  await redis?.stop();
  if (bundle) rmSync(bundle, { force: true });
});

interface Followed {
  /** The data of every message, in the order received, across reconnections. */
  data: string[];
  ids: string[];
  end?: { state: string; reason?: string };
  /** Date.now() when the end arrived. */
  endedAt?: number;
  /** Connections made (1 when nothing was cut). */
  connections: number;
  /** How the last connection answered: 204 when there was nothing to resume. */
  status?: number;
}

/**
 * Reads a stream to its end as a client that resumes: after a cut (or an
 * error answer while Redis is away) it connects again with its
 * Last-Event-ID. `first` is a response already open (the start's).
 */
async function follow(
  instance: () => Instance,
  id: string,
  options: {
    first?: Promise<Response>;
    lastEventId?: string;
    onMessage?: () => void;
    /** When it resolves, the connection then open is cut (the client's network dropped). */
    cut?: Promise<void>;
  } = {},
): Promise<Followed> {
  const result: Followed = { data: [], ids: [], connections: 0 };
  let lastId = options.lastEventId;
  let pending = options.first;
  const giveUp = Date.now() + 20_000;
  let cut = options.cut;
  while (Date.now() < giveUp) {
    const connection = new AbortController();
    cut?.then(() => connection.abort());
    cut = undefined;
    try {
      const headers: Record<string, string> = lastId ? { 'last-event-id': lastId } : {};
      const response = await (pending ??
        fetch(`${instance().url}/resume?id=${id}`, { headers, signal: connection.signal }));
      pending = undefined;
      result.connections++;
      result.status = response.status;
      if (response.status === 204) return result;
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      let buffer = '';
      const reader = response
        .body!.pipeThrough(new TextDecoderStream(), { signal: connection.signal })
        .getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        for (let cut = buffer.indexOf('\n\n'); cut !== -1; cut = buffer.indexOf('\n\n')) {
          const fields: Record<string, string> = {};
          for (const line of buffer.slice(0, cut).split('\n')) {
            const colon = line.indexOf(': ');
            fields[line.slice(0, colon)] = line.slice(colon + 2);
          }
          buffer = buffer.slice(cut + 2);
          if (fields.data === undefined) continue; // a comment, a retry
          if (fields.event === 'end') {
            result.end = JSON.parse(fields.data!);
            result.endedAt = Date.now();
            return result;
          }
          lastId = fields.id;
          result.ids.push(fields.id!);
          result.data.push(fields.data!);
          options.onMessage?.();
        }
      }
    } catch {
      // Cut, or Redis away: resume in a moment.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return result;
}

const start = (instance: Instance, id: string, chunks: number, every: number) =>
  fetch(`${instance.url}/start?id=${id}&chunks=${chunks}&every=${every}`, { method: 'POST' });
const expected = (id: string, chunks: number) =>
  Array.from({ length: chunks }, (_, n) => `${id} chunk ${n}`);
let ids = 0;
const freshId = (name: string) => `${name}-${Date.now().toString(36)}-${ids++}`;
/** Resolves once `followed` has `count` messages. */
const until = async (what: string, ok: () => boolean) => {
  for (let tries = 0; !ok(); tries++) {
    if (tries > 1000) throw new Error(`${what} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe.runIf(available)('resumable streams on Redis, across server processes', () => {
  test('started on one process, followed from both and resumed on the other after its end', async () => {
    const id = freshId('both');
    const first = start(a, id, 40, 10);
    await first; // claimed: the other process finds the stream
    const [onA, onB] = await Promise.all([follow(() => a, id, { first }), follow(() => b, id)]);
    const late = await follow(() => b, id);
    for (const read of [onA, onB, late]) {
      expect(read.data).toEqual(expected(id, 40));
      expect(read.end).toEqual({ state: 'done' });
      expect(read.connections).toBe(1);
    }
    expect(onB.ids).toEqual(onA.ids);
    // From the middle, with Last-Event-ID, on either process.
    const rest = await follow(() => a, id, { lastEventId: onA.ids[24] });
    expect(rest.data).toEqual(expected(id, 40).slice(25));
  }, 20_000);

  test('a stop on one process aborts the producer on the other, and ends every reader', async () => {
    const latencies = { quiet: [] as number[], busy: [] as number[] };
    for (const kind of ['quiet', 'busy', 'quiet', 'busy', 'quiet'] as const) {
      const id = freshId('stop');
      let heard = 0;
      // A quiet producer waits 10 s between chunks (a model thinking): only
      // the store's notice (or the renewal, every lease / 3) tells it; a busy
      // one also learns at its next append.
      const first = start(a, id, 100_000, kind === 'quiet' ? 10_000 : 20);
      await first;
      const reads = Promise.all([
        follow(() => a, id, { first }),
        follow(() => b, id, { onMessage: () => heard++ }),
      ]);
      await until('a chunk', () => heard >= 1);
      const asked = Date.now();
      const stopped = await fetch(`${b.url}/stop?id=${id}`, { method: 'POST' });
      expect(await stopped.text()).toBe('true');
      latencies[kind].push((await a.aborted(id)) - asked);
      for (const read of await reads) {
        expect(read.end).toEqual({ state: 'stopped' });
        expect(read.data).toEqual(expected(id, read.data.length));
      }
      expect(await (await fetch(`${a.url}/status?id=${id}`)).text()).toBe('stopped');
    }
    console.log(
      `stop on one process to the producer's abort on the other (ms): quiet ${latencies.quiet.join(', ')}; busy ${latencies.busy.join(', ')}`,
    );
    // The renewal alone would take up to LEASE / 3 (1000 ms), half of that
    // on average: each quiet one under 250 ms says the notice did it.
    for (const ms of latencies.quiet) expect(ms).toBeLessThan(250);
    for (const ms of latencies.busy) expect(ms).toBeLessThan(LEASE / 3);
  }, 30_000);

  test('Redis killed and restarted mid-stream: no lost end, no duplicate, readers resume', async () => {
    const id = freshId('restart');
    let heard = 0;
    let cutNow = () => {};
    const cut = new Promise<void>((resolve) => {
      cutNow = resolve;
    });
    const first = start(a, id, 60, 25);
    await first;
    const reads = Promise.all([
      follow(() => a, id, { first }),
      // This one's client loses its connection too, and resumes while Redis is away.
      follow(() => b, id, { onMessage: () => heard++, cut }),
    ]);
    await until('twenty chunks', () => heard >= 20);
    const restarted = redis.restart(300);
    setTimeout(cutNow, 50);
    await restarted;
    const [onA, onB] = await reads;
    for (const read of [onA, onB]) {
      expect(read.data).toEqual(expected(id, 60));
      expect(new Set(read.ids).size).toBe(60);
      expect(read.end).toEqual({ state: 'done' });
    }
    expect(onB.connections).toBeGreaterThan(1);
    expect(await admin.llen(`ssekit:stream:{${id}}`)).toBe(60);
  }, 30_000);

  test("the producer's process killed: every reader gets the producer-lost end within lease + poll", async () => {
    const producer = await startInstance('ioredis');
    const id = freshId('lost');
    let heard = 0;
    const first = start(producer, id, 100_000, 20);
    await first;
    const reads = Promise.all([
      follow(() => b, id, { onMessage: () => heard++ }),
      follow(() => a, id),
    ]);
    await until('five chunks', () => heard >= 5);
    const killed = Date.now();
    await producer.kill();
    const detected: number[] = [];
    for (const read of await reads) {
      expect(read.end).toEqual({ state: 'errored', reason: 'producer-lost' });
      expect(read.data).toEqual(expected(id, read.data.length));
      detected.push(read.endedAt! - killed);
    }
    console.log(
      `producer killed to its readers' producer-lost end (ms), lease ${LEASE}, poll ${POLL}: ${detected.join(', ')}`,
    );
    for (const ms of detected) expect(ms).toBeLessThan(LEASE + POLL + 1000);
    expect(await (await fetch(`${b.url}/status?id=${id}`)).text()).toBe('errored');
  }, 30_000);

  test("hostile ids are refused, and one stream's Last-Event-ID resumes nothing of another", async () => {
    for (const id of ['a{b}', 'x}', '..%2Fx', 'a'.repeat(129), '%C3%BC', 'a%0Ab', '']) {
      const response = await start(a, id, 1, 1);
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/start\(id\): expected a stream id/);
      expect((await fetch(`${b.url}/resume?id=${id}`)).status).toBe(400);
    }
    expect(await admin.keys('*{a{b}*')).toEqual([]);
    const [mine, theirs] = [freshId('tenant'), freshId('tenant')];
    const [own, other] = await Promise.all([
      follow(() => a, mine, { first: start(a, mine, 3, 1) }),
      follow(() => b, theirs, { first: start(b, theirs, 3, 1) }),
    ]);
    expect(own.data).toEqual(expected(mine, 3));
    const foreign = await follow(() => b, theirs, { lastEventId: own.ids[0] });
    expect(foreign.status).toBe(204);
    expect(foreign.data).toEqual([]);
    expect(other.data).toEqual(expected(theirs, 3));
  });
});
