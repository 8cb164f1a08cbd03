import { describe, expect, test, vi } from 'vitest';
import { createEventStream, type OverflowInfo, SSEFieldError } from '../../src/index.ts';
import { chunkReader, settle } from './response-helpers.ts';

const message = (n: number) => `data: ${String(n).padStart(4, '0')}\n\n`; // 12 bytes

describe('createEventStream', () => {
  test('a writer to keep and write to later', async () => {
    const { response, writer } = createEventStream();
    const reader = chunkReader(response);
    expect(await reader.next()).toBe(':\n\n');
    writer.event('notification', { text: 'hi' }, { id: 3 });
    expect(await reader.next()).toBe('event: notification\nid: 3\ndata: {"text":"hi"}\n\n');
    writer.close();
    expect(await reader.next()).toBeUndefined();
    expect(writer.send('late')).toBe(false);
  });

  test('an invalid field throws and writes nothing', async () => {
    const { response, writer } = createEventStream();
    expect(() => writer.send({ id: 'a\nb', data: 'x' })).toThrow(SSEFieldError);
    expect(() => writer.retry(-1)).toThrow(SSEFieldError);
    expect(() => writer.retry(9999999999)).toThrow(SSEFieldError);
    expect(() => writer.event('e', 1, { retry: 2 ** 31 })).toThrow(SSEFieldError);
    writer.data('ok');
    writer.close();
    expect(await response.text()).toBe(':\n\ndata: ok\n\n');
  });

  test('closed resolves and onClose fires once when the client leaves', async () => {
    const onClose = vi.fn();
    const { response, writer } = createEventStream({ onClose });
    const reader = chunkReader(response);
    await reader.next();
    await reader.cancel();
    await writer.closed;
    expect(writer.signal.aborted).toBe(true);
    expect(writer.data('x')).toBe(false);
    writer.close();
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'disconnect' });
  });
});

describe('a stalled reader', () => {
  // Nobody reads, not even the preamble: every write waits in the bounded
  // queue, 120 bytes, ten 12-byte messages.
  function stalled(init: Parameters<typeof createEventStream>[0]) {
    const { response, writer } = createEventStream({ maxQueuedBytes: 120, ...init });
    let accepted = 0;
    for (let n = 0; n < 1000; n++) if (writer.data(String(n).padStart(4, '0'))) accepted++;
    return { response, writer, accepted };
  }

  test("'disconnect' (the default) drops what is queued and ends the body at once: the client resumes", async () => {
    const onClose = vi.fn();
    const { response, writer, accepted } = stalled({ onClose });
    expect(accepted).toBe(10);
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'overflow' });
    expect(writer.signal.aborted).toBe(true);
    expect(writer.desiredSize).toBe(120); // the queue was let go, not flushed
    // An errored body: a runtime cuts the connection instead of delivering
    // a backlog to a client that stopped reading, and nothing stays queued.
    await expect(response.text()).rejects.toThrow(/overflow/);
  });

  test("'disconnect' on a reader that took some: the next read fails, nothing queued arrives", async () => {
    const { response, writer } = createEventStream({ maxQueuedBytes: 24 });
    const reader = chunkReader(response);
    expect(await reader.next()).toBe(':\n\n');
    writer.data('0000'); // straight into the body: the reader has not asked for it
    writer.data('0001');
    writer.data('0002');
    expect(writer.data('0003')).toBe(false);
    await expect(reader.next()).rejects.toMatchObject({ name: 'AbortError' });
  });

  test("'drop-oldest' stays within the bound and keeps the newest", async () => {
    const { response, writer, accepted } = stalled({ overflow: 'drop-oldest' });
    expect(accepted).toBe(1000);
    expect(writer.desiredSize).toBe(0);
    writer.close();
    const text = await response.text();
    const numbers = [...text.matchAll(/data: (\d+)/g)].map((match) => Number(match[1]));
    expect(numbers).toEqual([990, 991, 992, 993, 994, 995, 996, 997, 998, 999]);
  });

  test("'drop-newest' stays within the bound and keeps the oldest", async () => {
    const { response, writer, accepted } = stalled({ overflow: 'drop-newest' });
    expect(accepted).toBe(10);
    writer.close();
    const numbers = [...(await response.text()).matchAll(/data: (\d+)/g)].map((m) => Number(m[1]));
    expect(numbers).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('a callback chooses per write and sees the figures', async () => {
    const seen: OverflowInfo[] = [];
    const { writer, accepted } = stalled({
      overflow: (info) => {
        seen.push(info);
        return seen.length < 3 ? 'drop-newest' : 'disconnect';
      },
    });
    expect(accepted).toBe(10);
    expect(seen).toHaveLength(3);
    expect(seen[0]).toMatchObject({ size: 12, queuedBytes: 120, maxQueuedBytes: 120 });
    expect(writer.signal.aborted).toBe(true);
  });

  test("the names before issue 15 still work, deprecated: maxBufferedBytes, bufferedBytes and overflow 'close'", async () => {
    const seen: OverflowInfo[] = [];
    const onClose = vi.fn();
    const { response, writer } = createEventStream({
      maxBufferedBytes: 120,
      overflow: (info) => {
        seen.push(info);
        return seen.length < 3 ? 'drop-newest' : 'close';
      },
      onClose,
    });
    let accepted = 0;
    for (let n = 0; n < 1000; n++) if (writer.data(String(n).padStart(4, '0'))) accepted++;
    expect(accepted).toBe(10); // the old name bounds the queue
    expect(seen[0]).toEqual({
      size: 12,
      queuedBytes: 120,
      maxQueuedBytes: 120,
      bufferedBytes: 120,
      maxBufferedBytes: 120,
    });
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'overflow' }); // 'close' disconnects
    await expect(response.text()).rejects.toThrow(/overflow/);
    // As the policy itself, and the old name of the bound in its message.
    const closing = createEventStream({ maxBufferedBytes: 12, overflow: 'close' });
    closing.writer.data('0000');
    expect(closing.writer.data('0001')).toBe(false);
    expect(closing.writer.signal.aborted).toBe(true);
    expect(() => createEventStream({ maxBufferedBytes: 0 })).toThrow(/^maxQueuedBytes: expected/);
    // The new name wins over the old one.
    expect(createEventStream({ maxQueuedBytes: 24, maxBufferedBytes: 12 }).writer.desiredSize).toBe(
      24,
    );
  });

  test('ready and desiredSize tell a producer when to wait', async () => {
    const { response, writer } = createEventStream({ maxQueuedBytes: 24 });
    const reader = chunkReader(response);
    await reader.next();
    writer.data('0000'); // straight into the body
    writer.data('0001');
    writer.data('0002');
    expect(writer.desiredSize).toBe(0);
    let ready = false;
    writer.ready.then(() => (ready = true));
    await settle();
    expect(ready).toBe(false);
    expect(await reader.next()).toBe(message(0));
    expect(await reader.next()).toBe(message(1) + message(2));
    await settle();
    expect(ready).toBe(true);
    expect(writer.desiredSize).toBe(24);
    await reader.cancel();
  });

  test('a producer that awaits ready never overflows and loses nothing', async () => {
    const onClose = vi.fn();
    const { response, writer } = createEventStream({ maxQueuedBytes: 64, onClose });
    const producing = (async () => {
      for (let n = 0; n < 500; n++) {
        await writer.ready;
        expect(writer.data(String(n).padStart(4, '0'))).toBe(true);
      }
      writer.close();
    })();
    const text = await response.text();
    await producing;
    expect(text.match(/data: /g)).toHaveLength(500);
    expect(onClose).toHaveBeenCalledExactlyOnceWith({ reason: 'close' });
  });
});
