import { describe, expect, test, vi } from 'vitest';
import {
  createMemoryStreamStore,
  createResumableStreams,
  type ResumableStreamsOptions,
  type StreamEnd,
  type StreamStore,
  type StreamWatcher,
} from '../../src/resumable/index.ts';
import { sleep } from '../../src/signal.ts';

// A store and its faults: each test makes one method of the memory store misbehave.
const faulty = (over: (inner: StreamStore) => Partial<StreamStore>) => {
  const inner = createMemoryStreamStore();
  const store: StreamStore = {
    claim: (...a) => inner.claim(...a),
    append: (...a) => inner.append(...a),
    renew: (...a) => inner.renew(...a),
    end: (...a) => inner.end(...a),
    read: (...a) => inner.read(...a),
    status: (...a) => inner.status(...a),
    watch: (...a) => inner.watch(...a),
    ...over(inner),
  };
  return { inner, store };
};

const data = (text: string) => [...text.matchAll(/^data: ?(.*)$/gm)].map((m) => m[1]);
const ends: StreamEnd[] = [];
const setup = (store: StreamStore, options: Partial<ResumableStreamsOptions> = {}) => {
  const onError = vi.fn();
  ends.length = 0;
  const endMessages = (end: StreamEnd) => {
    ends.push(end);
    return [{ event: 'end', data: end }];
  };
  return {
    onError,
    streams: createResumableStreams({
      store,
      poll: 20,
      lease: 300,
      onError,
      endMessages,
      ...options,
    }),
  };
};

describe('a store that fails', () => {
  test('an append it keeps refusing ends the stream errored: no crash, no gap, onError told', async () => {
    const { inner, store } = faulty((inner) => ({
      async append(id, token, at, bodies, terms) {
        if (bodies.some((body) => body.includes('bad'))) throw new Error('OOM command not allowed');
        return inner.append(id, token, at, bodies, terms);
      },
    }));
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const { streams, onError } = setup(store);
      let aborted = false;
      const text = await (
        await streams.start('f-1', async function* ({ signal }) {
          signal.addEventListener('abort', () => (aborted = true));
          yield 'a';
          await sleep(30);
          yield 'bad';
          await sleep(900, signal);
          yield 'c';
        })
      ).text();
      await sleep(50);
      expect(unhandled).not.toHaveBeenCalled();
      expect(data(text)).toEqual(['a', '{"state":"errored","reason":"producer-error"}']);
      expect(await inner.status('f-1')).toBe('errored');
      expect(aborted).toBe(true);
      expect(onError).toHaveBeenCalledWith(
        expect.objectContaining({ message: 'OOM command not allowed' }),
        'f-1',
      );
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  test('a claim that throws cancels the source', async () => {
    const { store } = faulty(() => ({
      claim: async () => {
        throw new Error('store down');
      },
    }));
    const { streams } = setup(store);
    let cancelled = false;
    const source = new ReadableStream({ cancel: () => void (cancelled = true) });
    await expect(streams.start('f-2', source)).rejects.toThrow('store down');
    expect(cancelled).toBe(true);
  });

  test('a read that fails is tried again: the reader gets every chunk, not a normal close', async () => {
    let failures = 0;
    const { store } = faulty((inner) => ({
      async read(id, cursor, limit) {
        if (cursor !== undefined && failures < 3) {
          failures++;
          throw new Error('connection lost');
        }
        return inner.read(id, cursor, limit);
      },
    }));
    const { streams } = setup(store);
    const text = await (
      await streams.start('f-3', async function* () {
        for (let n = 0; n < 20; n++) {
          yield `t${n}`;
          await sleep(3);
        }
      })
    ).text();
    expect(failures).toBe(3);
    expect(data(text).slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, n) => `t${n}`));
    expect(ends).toEqual([{ state: 'done' }]);
  });

  test('a read that never comes back ends the reader with an errored end, unavailable', async () => {
    const { store } = faulty((inner) => ({
      async read(id, cursor, limit) {
        if (cursor !== undefined) throw new Error('down for good');
        return inner.read(id, cursor, limit);
      },
    }));
    const { streams, onError } = setup(store, { lease: 200 });
    const began = Date.now();
    const text = await (
      await streams.start('f-4', async function* ({ signal }) {
        yield 'a';
        await sleep(5000, signal);
      })
    ).text();
    expect(Date.now() - began).toBeLessThan(3000);
    expect(data(text)).toEqual(['a', '{"state":"errored","reason":"unavailable"}']);
    expect(onError).toHaveBeenCalled();
    await streams.stop('f-4');
  });
});

describe('the producer', () => {
  test('a stop heard while an append is under way aborts the source at once', async () => {
    const { store } = faulty((inner) => ({
      async append(...args) {
        const result = await inner.append(...args);
        await sleep(150); // the reply is on its way back
        return result;
      },
    }));
    const { streams } = setup(store, { lease: 6000 });
    let abortedAt = 0;
    await streams.start('p-1', async function* ({ signal }) {
      signal.addEventListener('abort', () => (abortedAt = performance.now()));
      yield 'only';
      await sleep(10_000, signal); // quiet after its first chunk
    });
    await sleep(50); // the first append is under way
    const stoppedAt = performance.now();
    await streams.stop('p-1');
    await sleep(400);
    expect(abortedAt).toBeGreaterThan(0);
    expect(abortedAt - stoppedAt).toBeLessThan(300);
  });

  test('a source function that never settles is still stopped, and the run settles', async () => {
    const { store } = faulty(() => ({}));
    const { streams } = setup(store);
    let settled = false;
    await streams.start('p-2', () => new Promise<never>(() => {}), {
      waitUntil: (run) => void run.then(() => (settled = true)),
    });
    await streams.stop('p-2');
    await sleep(100);
    expect(settled).toBe(true);
  });

  test('a source silent past idleTimeout ends errored, producer-idle, and is aborted', async () => {
    const { store } = faulty(() => ({}));
    const { streams } = setup(store, { idleTimeout: 200 });
    let aborted = false;
    const text = await (
      await streams.start('p-3', async function* ({ signal }) {
        signal.addEventListener('abort', () => (aborted = true));
        yield 'a';
        await new Promise(() => {}); // a hung upstream
      })
    ).text();
    expect(data(text)).toEqual(['a', '{"state":"errored","reason":"producer-idle"}']);
    expect(aborted).toBe(true);
  });

  test('its own appends cost no extra store call per chunk', async () => {
    const renew = vi.fn();
    const { store } = faulty((inner) => ({
      renew: (...args) => {
        renew();
        return inner.renew(...args);
      },
      // Notices come late, as over pub/sub: after the append's reply.
      watch: (id, listener) => inner.watch(id, (...kind) => setTimeout(() => listener(...kind), 5)),
    }));
    const { streams } = setup(store, { lease: 60_000 });
    await (
      await streams.start('p-4', async function* () {
        for (let n = 0; n < 50; n++) {
          yield `t${n}`;
          await sleep(1);
        }
      })
    ).text();
    expect(renew.mock.calls.length).toBeLessThan(3);
  });
});

describe('notices that carry entries', () => {
  test('a reader takes them without a read when they continue its cursor, and reads when they do not', async () => {
    // A store whose notices carry what was appended, as Redis's do; some are
    // lost, some come twice, some come late: the reader still gets every
    // chunk once, in order, and reads the store far less than once a chunk.
    const inner = createMemoryStreamStore();
    const listeners = new Set<StreamWatcher>();
    let reads = 0;
    let n = 0;
    const store: StreamStore = {
      ...inner,
      claim: (...a) => inner.claim(...a),
      renew: (...a) => inner.renew(...a),
      end: async (...a) => {
        const ended = await inner.end(...a);
        for (const listener of listeners) listener('end');
        return ended;
      },
      status: (...a) => inner.status(...a),
      read: (...a) => {
        reads++;
        return inner.read(...a);
      },
      watch: (_id, listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      async append(id, token, at, bodies, terms) {
        const result = await inner.append(id, token, at, bodies, terms);
        if (!result.ok) return result;
        const entries = result.ids.map((entryId, i) => ({ id: entryId, body: bodies[i]! }));
        const k = n++;
        for (const listener of listeners) {
          if (k % 7 === 3) continue; // lost
          if (k % 5 === 2)
            setTimeout(() => listener('entries', entries), 15); // late
          else listener('entries', entries);
          if (k % 6 === 1) listener('entries', entries); // twice
        }
        return result;
      },
    };
    const streams = createResumableStreams({ store, poll: 50 });
    const started = await streams.start('n-1', async function* () {
      for (let i = 0; i < 60; i++) {
        yield `t${i}`;
        await sleep(4);
      }
    });
    const follower = await streams.resume('n-1');
    const [a, b] = await Promise.all([started.text(), follower.text()]);
    const want = Array.from({ length: 60 }, (_, i) => `t${i}`);
    expect(data(a)).toEqual(want);
    expect(data(b)).toEqual(want);
    const ids = [...b.matchAll(/^id: (.*)$/gm)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(60);
    expect(reads).toBeLessThan(60); // two readers, 60 chunks: most came with their notice
  });
});

describe('the memory store', () => {
  test('a producer lost with a retention shorter than its lease is still reported', async () => {
    const store = createMemoryStreamStore();
    const { streams } = setup(store, { lease: 200, retention: 100 });
    const terms = { lease: 200, maxBytes: 1 << 20, retention: 100 };
    const token = (await store.claim('m-1', terms))!;
    await store.append('m-1', token, 0, ['data: half\n\n'], terms);
    const text = await (await streams.resume('m-1')).text();
    expect(data(text)).toEqual(['half', '{"state":"errored","reason":"producer-lost"}']);
  });

  test('a reader whose stream expires under it gets an errored end, not a normal close', async () => {
    // No notices: the reader reads again only after `poll`, by when the stream is gone.
    const { inner, store } = faulty(() => ({ watch: () => () => {} }));
    const { streams } = setup(store, { poll: 100 });
    const terms = { lease: 10_000, maxBytes: 1 << 20, retention: 10_000 };
    const token = (await inner.claim('m-2', terms))!;
    await inner.append('m-2', token, 0, ['data: a\n\n'], terms);
    const reading = streams.resume('m-2').then((response) => response.text());
    await sleep(30);
    await inner.end('m-2', token, { state: 'done' }, { ...terms, retention: 1 });
    expect(data(await reading)).toEqual(['a', '{"state":"errored","reason":"unavailable"}']);
  });

  test('its store-wide byte bound counts what each entry costs, not only its body', async () => {
    const store = createMemoryStreamStore({ maxBytes: 64 * 1024 });
    const terms = { lease: 10_000, maxBytes: 1 << 20, retention: 10_000 };
    const token = (await store.claim('m-3', terms))!;
    let written = 0;
    let result: Awaited<ReturnType<StreamStore['append']>> = { ok: true, ids: [] };
    while (result.ok && written < 64 * 1024)
      result = await store.append('m-3', token, written++, ['x'], terms);
    // 1-byte bodies: 65,536 of them would fit if only bodies counted.
    expect(result.ok).toBe(false);
    expect(written).toBeLessThan((64 * 1024) / 16);
  });
});

describe('options', () => {
  test('a lease too short to renew is refused', () => {
    const store = createMemoryStreamStore();
    expect(() => createResumableStreams({ store, lease: 5 })).toThrow(/lease: expected/);
    expect(() => createResumableStreams({ store, idleTimeout: -1 })).toThrow(
      /idleTimeout: expected/,
    );
    expect(() => createResumableStreams({ store, retention: 30 * 24 * 3600_000 })).not.toThrow();
  });
});
