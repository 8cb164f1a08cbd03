// The two contenders of the resumable-stream benchmark behind one shape: a
// producer side that starts streams and writes SSE chunks into them, and a
// follower side that resumes them from the start. Each process makes its own
// side with its own Redis connections (named, so that the fault runs can
// kill a follower's connections alone).
import { Redis } from 'ioredis';
import { createResumableStreamContext } from 'resumable-stream/ioredis';
import { createRedisStreamStore, type RedisClientLike } from '../adapters/logs/redis/index.ts';
import {
  createMemoryStreamStore,
  createResumableStreams,
  type StreamStore,
} from '../src/resumable/index.ts';

/**
 * A started stream: `write` hands it one chunk (its data, one line: each
 * contender makes it the SSE text `data: <payload>` it streams), `end`
 * finishes it.
 */
export interface Written {
  write(payload: string): void;
  end(): void;
}

export interface Side {
  /** Starts stream `id`; the response to the request that started it is left (see `leave`). */
  start(id: string): Promise<Written>;
  /** A reader of stream `id` from its start, or `undefined` when there is nothing to resume. */
  resume(id: string): Promise<ReadableStream<Uint8Array | string> | undefined>;
  close(): Promise<void>;
}

/**
 * What becomes of the answer to the request that started a stream: its
 * client left (a reload: the case resuming is for), so it is cancelled; with
 * START=drain, its client stays and reads it to the end, in the producer's
 * process.
 */
async function leave(answer: ReadableStream<unknown>) {
  if (process.env.START !== 'drain') return answer.cancel();
  void (async () => {
    for await (const _ of answer as unknown as AsyncIterable<unknown>);
  })().catch(() => {});
}

export type ContenderName = 'resumable-stream' | 'ssekit';

/** Milliseconds of ssekit's lease in the benchmark: how soon a killed producer is declared lost. */
export const SSEKIT_LEASE = 5_000;

// A killed connection is an 'error' event: heard here, as an app would, so
// that it is neither printed nor fatal; ioredis reconnects and resubscribes.
const connect = (url: string, name: string) => {
  const client = new Redis(url, { connectionName: name, maxRetriesPerRequest: null });
  client.on('error', () => {});
  return client;
};

/** The side of `contender` in a process with role `role` (the connections' name). */
export async function makeSide(contender: ContenderName, url: string, role: string): Promise<Side> {
  return contender === 'resumable-stream' ? vercel(url, role) : ssekit(url, role);
}

// A source of chunks pushed from outside, as a model's tokens arrive: a
// plain async iterator (no generator), the least a source costs per chunk.
function pushed() {
  let queue: string[] = [];
  let head = 0;
  let done = false;
  let waiting: ((result: IteratorResult<string>) => void) | undefined;
  const iterator: AsyncIterableIterator<string> = {
    next() {
      if (head < queue.length) {
        const value = queue[head++]!;
        if (head === queue.length) [queue, head] = [[], 0];
        return Promise.resolve({ done: false, value });
      }
      if (done) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => (waiting = resolve));
    },
    return() {
      done = true;
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return {
    iterable: iterator,
    write(text: string) {
      const wake = waiting;
      waiting = undefined;
      if (wake) wake({ done: false, value: text });
      else queue.push(text);
    },
    end() {
      done = true;
      const wake = waiting;
      waiting = undefined;
      wake?.({ done: true, value: undefined });
    },
  };
}

async function vercel(url: string, role: string): Promise<Side> {
  const publisher = connect(url, `${role}-pub`);
  const subscriber = connect(url, `${role}-sub`);
  const context = createResumableStreamContext({
    waitUntil: null,
    publisher: publisher as never,
    subscriber: subscriber as never,
  });
  return {
    async start(id) {
      let controller!: ReadableStreamDefaultController<string>;
      const source = new ReadableStream<string>({ start: (c) => void (controller = c) });
      const answer = await context.resumableStream(id, () => source);
      if (answer) await leave(answer);
      return {
        write: (payload) => controller.enqueue(`data: ${payload}\n\n`),
        end: () => controller.close(),
      };
    },
    async resume(id) {
      return (await context.resumeExistingStream(id)) ?? undefined;
    },
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

// The store ssekit runs on: Redis (ssekit/redis), as resumable-stream; with
// SSEKIT_STORE=memory, the memory store, producer and follower in one process.
export const SSEKIT_STORE: 'redis' | 'memory' =
  process.env.SSEKIT_STORE === 'memory' ? 'memory' : 'redis';

let memoryStore: StreamStore | undefined;

async function ssekit(url: string, role: string): Promise<Side> {
  let store: StreamStore;
  let clients: Redis[] = [];
  if (SSEKIT_STORE === 'memory') store = memoryStore ??= createMemoryStreamStore();
  else {
    clients = [connect(url, `${role}-cmd`), connect(url, `${role}-sub`)];
    // A dropped pub/sub connection is told here; readers poll meanwhile.
    const [client, subscriber] = clients as unknown as RedisClientLike[];
    store = createRedisStreamStore({ client: client!, subscriber, onError: () => {} });
  }
  // A stream that did not end `done` says how it ended, for the fault counts.
  const streams = createResumableStreams({
    store,
    lease: SSEKIT_LEASE,
    onError: () => {},
    endMessages: (end) =>
      end.state === 'done'
        ? []
        : [{ event: 'end', data: `${end.state} ${end.reason ?? ''}`.trim() }],
  });
  return {
    async start(id) {
      // A string is a message with only `data`: the same `data:` line.
      const source = pushed();
      const answer = await streams.start(id, source.iterable);
      if (answer.body) await leave(answer.body);
      return source;
    },
    async resume(id) {
      const answer = await streams.resume(id, { from: 'start' });
      return answer.status === 204 ? undefined : (answer.body ?? undefined);
    },
    async close() {
      await store.close?.();
      for (const client of clients) client.disconnect();
    },
  };
}
