import { expect, test } from 'vitest';
import { readEvents, type SSEEvent } from '../../src/client/index.ts';
import { openBody } from './client-helpers.ts';
import { utf8 } from './parser-helpers.ts';

const body = (...texts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const text of texts) controller.enqueue(utf8(text));
      controller.close();
    },
  });

test('yields the events of a body and returns the committed last event ID', async () => {
  const events = readEvents(body('\uFEFFid: 1\ndata: a', '\n\nretry: 5\n', 'id: 2\n\ndata: b\n'), {
    lastEventId: '0',
  });
  const seen: SSEEvent[] = [];
  let result = await events.next();
  for (; !result.done; result = await events.next()) seen.push(result.value);
  expect(seen).toEqual([{ event: 'message', data: 'a', id: '1', lastEventId: '1' }]);
  // The unterminated 'data: b' block is dropped; the id-only block counts.
  expect(result.value).toBe('2');
});

test('onRetry and onComment are called as lines are read', async () => {
  const retries: number[] = [];
  const comments: string[] = [];
  const seen: string[] = [];
  for await (const event of readEvents(body(': hi\nretry: 5\ndata: a\n\n'), {
    onRetry: (ms) => retries.push(ms),
    onComment: (text) => comments.push(text),
  })) {
    seen.push(event.data);
  }
  expect([seen, retries, comments]).toEqual([['a'], [5], ['hi']]);
});

test('leaving the loop cancels the body', async () => {
  const { body: open, whenCancelled } = openBody('data: a\n\ndata: b\n\n');
  for await (const event of readEvents(open)) {
    expect(event.data).toBe('a');
    break;
  }
  await whenCancelled;
});

test('aborting the signal ends a pending read and cancels the body', async () => {
  const { body: open, whenCancelled } = openBody('data: a\n\n');
  const controller = new AbortController();
  const seen: string[] = [];
  for await (const event of readEvents(open, { signal: controller.signal })) {
    seen.push(event.data);
    setTimeout(() => controller.abort(), 5);
  }
  await whenCancelled;
  expect(seen).toEqual(['a']);
});

test('the events of a chunk before a limit error are yielded, then the error', async () => {
  const seen: string[] = [];
  const error = await (async () => {
    for await (const event of readEvents(body(`data: 1\n\ndata: 2\n\ndata: ${'x'.repeat(50)}\n`), {
      maxLineLength: 20,
    })) {
      seen.push(event.data);
    }
  })().catch((cause: unknown) => cause);
  expect(seen).toEqual(['1', '2']);
  expect(error).toMatchObject({ name: 'SSEParseError', reason: 'line-too-long' });
});

test('next() called again before the last settles waits its turn, as a generator does', async () => {
  const events = readEvents(body('data: a\n\n', 'data: b\n\ndata: c\n\n'));
  const steps = await Promise.all([events.next(), events.next(), events.next(), events.next()]);
  expect(steps.map((step) => step.value)).toEqual(
    ['a', 'b', 'c', ''].map((data, i) => (i < 3 ? expect.objectContaining({ data }) : data)),
  );
  expect(steps.map((step) => step.done)).toEqual([false, false, false, true]);
  expect(await events.next()).toEqual({ value: undefined, done: true });
});

test('return() and throw() let the body go and end the iteration', async () => {
  const first = openBody('data: a\n\ndata: b\n\n');
  const returned = readEvents(first.body);
  expect((await returned.next()).value).toMatchObject({ data: 'a' });
  expect(await returned.return('x')).toEqual({ value: 'x', done: true });
  await first.whenCancelled;
  expect(await returned.next()).toEqual({ value: undefined, done: true });

  const second = openBody('data: a\n\n');
  const thrown = readEvents(second.body);
  await expect(thrown.throw(new Error('stop'))).rejects.toThrow('stop');
  await second.whenCancelled;
  expect((await thrown.next()).done).toBe(true);
  expect(thrown[Symbol.asyncIterator]()).toBe(thrown);
});
