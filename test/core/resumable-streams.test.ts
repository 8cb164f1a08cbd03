import { describe, expect, test, vi } from 'vitest';
import { SSEOptionError } from '../../src/errors.ts';
import {
  createMemoryStreamStore,
  createResumableStreams,
  type ResumableStreamsOptions,
  type StreamStore,
} from '../../src/resumable/index.ts';
import { sleep } from '../../src/signal.ts';

const setup = (options: Partial<ResumableStreamsOptions> = {}) => {
  const store = options.store ?? createMemoryStreamStore();
  const onError = vi.fn();
  return {
    store,
    onError,
    streams: createResumableStreams({ store, poll: 50, onError, ...options }),
  };
};

/** The `data` of each event of an SSE text, and its ids. */
const parse = (text: string) => {
  const blocks = text.split('\n\n').filter((block) => /^(data|event|id):/m.test(block));
  return {
    data: blocks.map((block) => [...block.matchAll(/^data: ?(.*)$/gm)].map((m) => m[1]).join('\n')),
    ids: blocks.map((block) => /^id: (.*)$/m.exec(block)?.[1]),
  };
};

const answer = (n: number, delay = 0) =>
  async function* ({ signal }: { signal: AbortSignal }) {
    for (let i = 0; i < n; i++) {
      yield { data: `token ${i}` };
      if (delay) await sleep(delay, signal);
    }
  };

const tokens = (n: number, from = 0) =>
  Array.from({ length: n - from }, (_, i) => `token ${i + from}`);

/** Polls `fn` until it returns true, or fails after `ms`. */
async function until(fn: () => boolean | Promise<boolean>, ms = 3000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

describe('start and resume', () => {
  test('the start answers the whole stream; a resume from the start gives the same bytes', async () => {
    const { streams } = setup();
    const started = await streams.start('a-1', answer(20, 2));
    expect(started.status).toBe(200);
    expect(started.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const text = await started.text();
    expect(parse(text).data).toEqual(tokens(20));
    const resumed = await (await streams.resume('a-1', { from: 'start' })).text();
    expect(resumed.replace(/^:\n\n/, '')).toBe(text.replace(/^:\n\n/, ''));
    expect(await streams.status('a-1')).toBe('done');
  });

  test('the producer runs to its end when the client that started it leaves', async () => {
    const { streams } = setup();
    const started = await streams.start('a-2', answer(30, 3));
    const reader = started.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(await streams.status('a-2')).toBe('active');
    await until(async () => (await streams.status('a-2')) === 'done');
    expect(parse(await (await streams.resume('a-2')).text()).data).toEqual(tokens(30));
  });

  test('a resume after Last-Event-ID gets the rest exactly once, live, then closes', async () => {
    const { streams } = setup();
    const started = await streams.start('a-3', answer(40, 3));
    const reader = started.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    while (parse(seen).data.length < 5) seen += decoder.decode((await reader.read()).value);
    await reader.cancel();
    const { data, ids } = parse(seen);
    const last = ids.at(-1)!;
    const rest = await (
      await streams.resume('a-3', {
        request: new Request('http://x/', { headers: { 'last-event-id': last } }),
      })
    ).text();
    expect([...data, ...parse(rest).data]).toEqual(tokens(40));
    const all = [...ids, ...parse(rest).ids];
    expect(new Set(all).size).toBe(all.length);
  });

  test('a resume with nothing to send answers 204, or what the caller chooses', async () => {
    const { streams } = setup();
    expect((await streams.resume('never-started')).status).toBe(204);
    const missing = () => new Response('gone', { status: 404 });
    expect((await streams.resume('never-started', { missing })).status).toBe(404);
    await (await streams.start('a-4', answer(3))).text();
    const text = await (await streams.resume('a-4')).text();
    const lastId = parse(text).ids.at(-1)!;
    const atEnd = (id: string) =>
      streams.resume('a-4', {
        request: new Request('http://x/', { headers: { 'last-event-id': id } }),
      });
    expect((await atEnd(lastId)).status).toBe(204); // EventSource stops reconnecting
    expect((await atEnd('1x2y3z-1')).status).toBe(204); // not this stream's id
    await (await streams.start('a-5', answer(3))).text();
    const other = parse(await (await streams.resume('a-5')).text()).ids[0]!;
    expect((await atEnd(other)).status).toBe(204); // another stream's id replays nothing here
  });

  test('headers given to start and resume are sent (the AI SDK marks its streams)', async () => {
    const { streams } = setup();
    const headers = { 'x-vercel-ai-ui-message-stream': 'v1' };
    const started = await streams.start('a-6', answer(2), { headers });
    expect(started.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    await started.text();
    expect(
      (await streams.resume('a-6', { headers })).headers.get('x-vercel-ai-ui-message-stream'),
    ).toBe('v1');
  });
});

describe('sources', () => {
  test('SSE text, split anywhere, is stored event by event with its ids replaced', async () => {
    const { streams } = setup();
    const text =
      'id: up-1\ndata: {"type":"text-delta","delta":"Hel"}\n\nevent: note\r\ndata: a\ndata: b\n\n: comment\n\ndata: [DONE]\n\n';
    const bytes = new TextEncoder().encode(text);
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 3) controller.enqueue(bytes.slice(i, i + 3));
        controller.close();
      },
    });
    const out = await (await streams.start('t-1', source)).text();
    expect(out).not.toContain('up-1');
    expect(parse(out).data).toEqual(['{"type":"text-delta","delta":"Hel"}', 'a\nb', '[DONE]']);
    expect(out).toContain('event: note\n');
    const response = new Response('data: one\n\ndata: two\n\n');
    expect(parse(await (await streams.start('t-2', response)).text()).data).toEqual(['one', 'two']);
    const strings = new ReadableStream<string>({
      start(controller) {
        controller.enqueue('data: x');
        controller.enqueue('\n\n');
        controller.close();
      },
    });
    expect(parse(await (await streams.start('t-3', strings)).text()).data).toEqual(['x']);
  });

  test('messages: objects, strings and a sync iterable; a message id is replaced by the store’s', async () => {
    const { streams } = setup();
    const out = await (
      await streams.start('m-1', [
        { event: 'a', id: 'mine', data: { n: 1 } },
        'plain',
        { data: 'x\ny' },
      ])
    ).text();
    expect(out).not.toContain('mine');
    expect(parse(out).data).toEqual(['{"n":1}', 'plain', 'x\ny']);
    expect(out).toContain('event: a\n');
  });

  test('a second start of a taken id reads the running stream and never runs its source', async () => {
    const { streams } = setup();
    const first = await streams.start('j-1', answer(20, 5));
    let ran = false;
    const second = await streams.start('j-1', async function* () {
      ran = true;
      yield 'never';
    });
    let cancelled = false;
    const stream = new ReadableStream({ cancel: () => void (cancelled = true) });
    const third = await streams.start('j-1', stream);
    const [a, b, c] = await Promise.all([first.text(), second.text(), third.text()]);
    expect(parse(a).data).toEqual(tokens(20));
    expect(parse(b).data).toEqual(tokens(20));
    expect(parse(c).data).toEqual(tokens(20));
    expect(ran).toBe(false);
    expect(cancelled).toBe(true);
  });

  test('a start that joins honours Last-Event-ID: an EventSource reconnecting to the start route gets the rest', async () => {
    const { streams } = setup();
    const first = await streams.start('j-2', answer(20, 3));
    const reader = first.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    while (parse(seen).data.length < 4) seen += decoder.decode((await reader.read()).value);
    await reader.cancel();
    const request = new Request('http://x/', {
      headers: { 'last-event-id': parse(seen).ids.at(-1)! },
    });
    const rest = await (await streams.start('j-2', answer(20), { request })).text();
    expect([...parse(seen).data, ...parse(rest).data]).toEqual(tokens(20));
  });

  test('concurrent starts of one id: one producer runs', async () => {
    const { streams } = setup();
    let runs = 0;
    const source = async function* () {
      runs++;
      yield* ['a', 'b'];
    };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => streams.start('c-1', source)),
    );
    const texts = await Promise.all(responses.map((response) => response.text()));
    expect(runs).toBe(1);
    for (const text of texts) expect(parse(text).data).toEqual(['a', 'b']);
  });
});

describe('stop, errors and bounds', () => {
  test('stop aborts the producer’s signal at once, records stopped and closes every reader', async () => {
    const { streams } = setup();
    let aborted = 0;
    let stoppedAt = 0;
    const source = async function* ({ signal }: { signal: AbortSignal }) {
      signal.addEventListener('abort', () => (aborted = performance.now()));
      for (let i = 0; ; i++) {
        yield `token ${i}`;
        await sleep(5, signal);
      }
    };
    const started = await streams.start('s-1', source);
    const follower = await streams.resume('s-1');
    await sleep(50);
    stoppedAt = performance.now();
    expect(await streams.stop('s-1')).toBe(true);
    expect(await streams.stop('s-1')).toBe(false);
    const [a, b] = await Promise.all([started.text(), follower.text()]);
    expect(aborted - stoppedAt).toBeGreaterThanOrEqual(0);
    expect(aborted - stoppedAt).toBeLessThan(50);
    expect(parse(a).data).toEqual(parse(b).data);
    expect(await streams.status('s-1')).toBe('stopped');
  });

  test('a stop racing the last chunk: every reader agrees on one end, none hangs', async () => {
    for (let round = 0; round < 50; round++) {
      const { streams } = setup();
      const id = `race-${round}`;
      const started = await streams.start(id, answer(3, 1));
      await sleep(round % 5);
      await streams.stop(id);
      const [a, b] = await Promise.all([
        started.text(),
        streams.resume(id, { from: 'start' }).then((response) => response.text()),
      ]);
      const status = await streams.status(id);
      expect(['done', 'stopped']).toContain(status);
      if (b) expect(parse(a).data).toEqual(parse(b).data);
      if (status === 'done') expect(parse(a).data).toEqual(tokens(3));
    }
  });

  test('a producer that throws: readers get an error end without its text; onError is told', async () => {
    const endMessages = vi.fn((end) => (end.state === 'done' ? [] : [{ event: 'end', data: end }]));
    const { streams, onError } = setup({ endMessages });
    const source = async function* () {
      yield 'one';
      throw new Error('db password is hunter2');
    };
    const text = await (await streams.start('e-1', source)).text();
    expect(text).not.toContain('hunter2');
    expect(parse(text).data).toEqual(['one', '{"state":"errored","reason":"producer-error"}']);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]![1]).toBe('e-1');
    expect(await streams.status('e-1')).toBe('errored');
  });

  test('a producer whose process died is declared lost within the lease; readers get the end', async () => {
    const store = createMemoryStreamStore();
    const { streams } = setup({ store, lease: 200 });
    // A producer that claimed and wrote, then vanished (no renewals).
    const token = (await store.claim('l-1', { lease: 200, maxBytes: 1 << 20, retention: 60_000 }))!;
    await store.append('l-1', token, 0, ['data: half\n\n'], {
      lease: 200,
      maxBytes: 1 << 20,
      retention: 60_000,
    });
    const began = performance.now();
    const text = await (await streams.resume('l-1')).text();
    const took = performance.now() - began;
    expect(parse(text).data).toEqual(['half']);
    expect(took).toBeLessThan(200 + 50 + 500);
    expect(await streams.status('l-1')).toBe('errored');
  });

  test('a stream past maxBytes ends too-large; its producer is stopped', async () => {
    let aborted = false;
    const { streams } = setup({ maxBytes: 1000 });
    const text = await (
      await streams.start('b-1', async function* ({ signal }) {
        signal.addEventListener('abort', () => (aborted = true));
        for (let i = 0; i < 1000; i++) {
          yield 'x'.repeat(100);
          await sleep(0);
        }
      })
    ).text();
    expect(parse(text).data.length).toBeLessThan(10);
    expect(aborted).toBe(true);
    expect(await streams.status('b-1')).toBe('errored');
  });

  test('bad input is refused with SSEOptionError before anything is stored', async () => {
    const { streams, store } = setup();
    const claim = vi.spyOn(store as StreamStore, 'claim');
    for (const id of ['', 'a b', 'x'.repeat(129), '{tag}', 'a/b']) {
      await expect(streams.start(id, ['x'])).rejects.toThrow(SSEOptionError);
      await expect(streams.resume(id)).rejects.toThrow(SSEOptionError);
    }
    await expect(streams.start('ok', 42 as never)).rejects.toThrow(/start\(source\): expected/);
    await expect(streams.resume('ok', { from: 'end' as never })).rejects.toThrow(SSEOptionError);
    expect(claim).not.toHaveBeenCalled();
    for (const bad of [
      { lease: 0 },
      { retention: -1 },
      { maxBytes: 1.5 },
      { poll: 2 ** 31 },
      { store: {} },
    ]) {
      expect(() => createResumableStreams({ store, ...bad } as ResumableStreamsOptions)).toThrow(
        SSEOptionError,
      );
    }
  });

  test('the memory store holds its bounds across streams: ended streams go first, then claims are refused', async () => {
    const store = createMemoryStreamStore({ maxStreams: 3 });
    const { streams } = setup({ store });
    await (await streams.start('k-1', ['a'])).text();
    await streams.start('k-2', answer(1000, 5));
    await streams.start('k-3', answer(1000, 5));
    await streams.start('k-4', answer(1000, 5)); // k-1 ended: it goes
    expect(await streams.status('k-1')).toBe('unknown');
    await expect(streams.start('k-5', ['x'])).rejects.toThrow(/StreamStoreFullError|bounds allow/);
    for (const id of ['k-2', 'k-3', 'k-4']) await streams.stop(id);
  });
});
