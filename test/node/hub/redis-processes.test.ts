import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bundleFixture } from '../fixture-helpers.ts';
import { redisAvailable, startRedis, type TestRedis } from './redis-server.ts';

// Two hub processes (one on node-redis, one on ioredis) share one Redis
// Stream. A client moves between them with its Last-Event-ID and must see
// every message exactly once, in order: across processes, and across a
// process killed and restarted.
const available = redisAvailable();
let bundle = '';
let redis: TestRedis;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  if (!available) return;
  bundle = await bundleFixture('test/node/hub/hub-process.ts');
  redis = await startRedis();
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await redis?.stop();
  rmSync(bundle, { force: true });
});

interface HubProcess {
  url: string;
  /** Its exit code, null while it runs. */
  exitCode(): number | null;
  /** What it wrote to stderr so far. */
  stderr(): string;
  kill(): Promise<void>;
}

async function startHub(client: 'node-redis' | 'ioredis', server = redis): Promise<HubProcess> {
  const child = spawn(process.execPath, [bundle], {
    env: { ...process.env, REDIS_URL: server.url, REDIS_CLIENT: client },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  children.add(child);
  const port = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const match = /ready (\d+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`hub process exited early (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    exitCode: () => child.exitCode,
    stderr: () => stderr,
    kill: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
        children.delete(child);
      }),
  };
}

async function publish(hub: HubProcess, data: string): Promise<string> {
  const response = await fetch(`${hub.url}/publish?topic=feed`, { method: 'POST', body: data });
  return response.text();
}

/** A minimal SSE reader: the events of one connection, as { id, data }. */
function connect(hub: HubProcess, lastEventId?: string) {
  const controller = new AbortController();
  const headers: Record<string, string> = lastEventId ? { 'last-event-id': lastEventId } : {};
  const opened = fetch(`${hub.url}/events?topic=feed`, { headers, signal: controller.signal });
  const reader = opened.then((response) =>
    response.body!.pipeThrough(new TextDecoderStream()).getReader(),
  );
  let buffer = '';
  return {
    /** The next event, or undefined when the stream ended (the process died). */
    async next(): Promise<{ id: string; data: string } | undefined> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((line) => !line.startsWith(':'))
              .map((line) => line.split(': ')),
          );
          if (fields.data !== undefined) return { id: fields.id, data: fields.data };
          continue;
        }
        const chunk = await (await reader).read().catch(() => ({ done: true, value: undefined }));
        if (chunk.done) return undefined;
        buffer += chunk.value;
      }
    },
    /** Resolves once the response headers arrived. */
    ready: opened,
    close: () => controller.abort(),
  };
}

test.runIf(available)(
  'a client resumes on another process, and on a restarted one, with every message once and in order',
  async () => {
    let a = await startHub('node-redis');
    const b = await startHub('ioredis');
    const received: { id: string; data: string }[] = [];
    let sent = 0;
    const publishSome = async (count: number, only?: HubProcess) => {
      for (let n = 0; n < count; n++) {
        sent++;
        // Alternate the publishing process: the order is the stream's, not a process's.
        await publish(only ?? (sent % 2 ? a : b), String(sent));
      }
    };
    const readUntil = async (stream: ReturnType<typeof connect>, data: number) => {
      while (received.at(-1)?.data !== String(data)) {
        const event = await stream.next();
        if (!event) throw new Error(`stream ended after ${received.at(-1)?.data}`);
        received.push(event);
      }
    };

    // On A, from the start.
    let stream = connect(a);
    await stream.ready; // headers arrive once the subscription is registered
    await publishSome(10);
    await readUntil(stream, 10);
    stream.close();

    // Messages published while away, then more while replaying on B.
    await publishSome(10);
    stream = connect(b, received.at(-1)!.id);
    const during = publishSome(10);
    await readUntil(stream, 30);
    await during;
    stream.close();

    // Back on A; A dies mid-stream, messages go on through B, A restarts.
    stream = connect(a, received.at(-1)!.id);
    await publishSome(5);
    await readUntil(stream, 35);
    await a.kill();
    expect(await stream.next()).toBeUndefined();
    await publishSome(10, b);
    a = await startHub('node-redis');
    stream = connect(a, received.at(-1)!.id);
    const meanwhile = publishSome(5);
    await readUntil(stream, 50);
    await meanwhile;
    stream.close();

    expect(received.map((event) => event.data)).toEqual(
      Array.from({ length: 50 }, (_, index) => String(index + 1)),
    );
    const ids = received.map((event) => event.id);
    expect(new Set(ids).size).toBe(50);
    // One history: one epoch, `<epoch>-<ms>-<seq>`, stream ids increasing.
    expect(new Set(ids.map((id) => id.split('-')[0])).size).toBe(1);
    for (let index = 1; index < ids.length; index++) {
      const [, ms, seq] = ids[index]!.split('-').map(Number);
      const [, lastMs, lastSeq] = ids[index - 1]!.split('-').map(Number);
      expect(ms! > lastMs! || (ms === lastMs && seq! > lastSeq!)).toBe(true);
    }
    await a.kill();
  },
  30_000,
);

test.runIf(available)(
  'the README recipe (node-redis, no error listener) survives Redis killed and restarted mid-stream',
  async () => {
    const own = await startRedis();
    const hub = await startHub('node-redis', own);
    const stream = connect(hub);
    await stream.ready;
    await publish(hub, 'before');
    expect(await stream.next()).toMatchObject({ data: 'before' });

    await own.stop();
    // The clients' errors are reported (by the log's onError), not thrown:
    // node-redis with no 'error' listener used to end the process here.
    while (!hub.stderr().includes('ssekit/redis:')) await new Promise((r) => setTimeout(r, 50));
    expect(hub.exitCode()).toBeNull();

    await own.restart();
    // The publish waits in node-redis's queue until it has reconnected; the
    // follower resumes on the new server and the open stream gets it.
    await publish(hub, 'after');
    expect(await stream.next()).toMatchObject({ data: 'after' });
    expect(hub.exitCode()).toBeNull();
    stream.close();
    await hub.kill();
    await own.stop();
  },
  30_000,
);
