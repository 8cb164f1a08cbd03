import { describe, expect, test, vi } from 'vitest';
import { SSEError, SSEFieldError, SSEOptionError } from '../../src/errors.ts';
import { createHub, createMemoryLog, hubEntry } from '../../src/hub/index.ts';
import {
  createEventStream,
  EncodedMessage,
  encodeMessage,
  preEncode,
  SSEEncoderStream,
  sseResponse,
} from '../../src/index.ts';
import { mapEvents, transformEvents } from '../../src/middleware/index.ts';
import { chunkReader, PATHS, settle, textOf } from './response-helpers.ts';

// An EncodedMessage is sent as it is, so its text must be one whole message
// whose fields ssekit validated: raw text could end a message early, start
// another, or carry an `event:` line nobody checked.
describe('EncodedMessage is built by ssekit only', () => {
  test('new EncodedMessage(raw text) throws SSEOptionError', () => {
    const forge = () =>
      // @ts-expect-error: the constructor is private.
      new EncodedMessage('event: x\ndata: forged\n\n');
    expect(forge).toThrow(SSEOptionError);
    expect(forge).toThrow(
      /^new EncodedMessage\(\): expected preEncode\(\), got raw text\. Use preEncode/,
    );
    // @ts-expect-error: the constructor is private, whatever it is passed.
    expect(() => new EncodedMessage('data: x\n\n', Symbol('EncodedMessage'))).toThrow(SSEError);
  });

  test('preEncode still builds one, with the bytes encodeMessage writes', () => {
    const message = preEncode({ event: 'x', data: 'fine' });
    expect(message).toBeInstanceOf(EncodedMessage);
    expect(message.text).toBe(encodeMessage({ event: 'x', data: 'fine' }));
    expect(preEncode(message)).toBe(message);
  });
});

describe('hubEntry takes one message without an id, nothing else', () => {
  test('a body as append() receives it becomes an entry with the id line first', () => {
    const body = encodeMessage({ event: 'note', data: 'a\nb', retry: 5, comment: 'c' });
    const entry = hubEntry('7', ['t'], body);
    expect(entry).toMatchObject({ id: '7', topics: ['t'] });
    expect(entry.message).toBeInstanceOf(EncodedMessage);
    expect(entry.message.text).toBe('id: 7\n' + body);
    expect(hubEntry('8', ['t'], encodeMessage({})).message.text).toBe('id: 8\n\n');
  });

  test.each([
    ['a second message', 'data: a\n\nevent: forged\ndata: b\n\n'],
    ['no blank line at the end', 'event: x\ndata: forged\n'],
    ['a blank line first', '\nevent: forged\ndata: b\n\n'],
    ['a CR line end', 'event: x\rdata: forged\n\n'],
    ['an id field', 'data: a\nid: 99\n\n'],
    ['an id field with no value', 'id\ndata: a\n\n'],
    ['empty text', ''],
    ['not text', 42],
  ])('a body with %s throws SSEOptionError', (_, body) => {
    expect(() => hubEntry('1', ['t'], body as string)).toThrow(SSEOptionError);
    expect(() => hubEntry('1', ['t'], body as string)).toThrow(
      /^hubEntry\(\): expected an id .* and one message's text, got other text\. Pass the body/,
    );
  });

  test('an id with CR, LF or NUL throws SSEOptionError', () => {
    for (const id of ['1\nevent: forged', '1\r', '1\0']) {
      expect(() => hubEntry(id, ['t'], 'data: a\n\n')).toThrow(SSEOptionError);
    }
  });

  test("a log's append() refuses a forged body before it stores or delivers it", async () => {
    const log = createMemoryLog();
    const seen: string[] = [];
    log.follow((entry) => seen.push(entry.message.text));
    expect(() => log.append(['t'], 'data: a\n\nevent: forged\ndata: b\n\n')).toThrow(
      SSEOptionError,
    );
    const id = await log.append(['t'], 'data: fine\n\n');
    expect(seen).toEqual([`id: ${id}\ndata: fine\n\n`]);
  });
});

// Two ways to make something that looks like an EncodedMessage without
// preEncode: an object on its prototype (it passes `instanceof`), and a real
// one whose `bytes` were replaced. Either would put an `event: admin` line,
// which no check ever saw, on the wire.
const INJECTED = new TextEncoder().encode('event: admin\ndata: forged\n\n');
const forgeries = (): [string, () => EncodedMessage][] => [
  [
    'Object.create(EncodedMessage.prototype)',
    () => Object.create(EncodedMessage.prototype, { bytes: { value: INJECTED } }),
  ],
  [
    'a real one with its bytes replaced',
    () => Object.defineProperty(preEncode('real'), 'bytes', { value: INJECTED }),
  ],
];
const FORGED =
  /^message: expected preEncode\(\), got a forged EncodedMessage\. Use preEncode\(message\)\.$/;

const streamOf = (items: unknown[]) =>
  new ReadableStream({
    start(controller) {
      for (const item of items) controller.enqueue(item);
      controller.close();
    },
  });

/** What one forgery does on one path: the wire text, and the error if any. */
function refusedOrReal(kind: string, text: string): void {
  expect(text).not.toContain('admin');
  if (kind.startsWith('a real one')) expect(text).toContain('data: real\n\n');
}

describe.each(forgeries())('a forged EncodedMessage (%s) never reaches the wire', (kind, forge) => {
  const isObjectCreate = kind.startsWith('Object.create');

  test('encodeMessage and preEncode refuse it with SSEFieldError, or use the real bytes', () => {
    if (isObjectCreate) {
      expect(() => encodeMessage(forge())).toThrow(SSEFieldError);
      expect(() => encodeMessage(forge())).toThrow(FORGED);
      expect(() => preEncode(forge())).toThrow(FORGED);
    } else {
      expect(encodeMessage(forge())).toBe('data: real\n\n');
      expect(preEncode(forge()).text).toBe('data: real\n\n');
    }
  });

  test.each(PATHS)('yielded by a generator (%s path)', async (path) => {
    const onError = vi.fn();
    const response = sseResponse(
      async function* () {
        yield 'fine';
        yield forge();
        yield 'after';
      },
      { onError, heartbeat: false },
    );
    const text = await textOf(response, path);
    refusedOrReal(kind, text);
    if (isObjectCreate) {
      expect(text).toBe(':\n\ndata: fine\n\n');
      expect(onError).toHaveBeenCalledOnce();
      expect(onError.mock.calls[0]![0]).toBeInstanceOf(SSEFieldError);
    } else expect(text).toBe(':\n\ndata: fine\n\ndata: real\n\ndata: after\n\n');
  });

  test.each(PATHS)('in an array or a ReadableStream source (%s path)', async (path) => {
    for (const source of [() => ['fine', forge()], () => streamOf(['fine', forge()])]) {
      const onError = vi.fn();
      const text = await textOf(sseResponse(source() as never, { onError }), path);
      refusedOrReal(kind, text);
      expect(onError).toHaveBeenCalledTimes(isObjectCreate ? 1 : 0);
    }
  });

  test('sent by the push writer: send() throws before writing, or sends the real bytes', async () => {
    const { response, writer } = createEventStream({ heartbeat: false });
    if (isObjectCreate) expect(() => writer.send(forge())).toThrow(FORGED);
    else expect(writer.send(forge())).toBe(true);
    writer.close();
    refusedOrReal(kind, await response.text());

    const pushed = sseResponse(async ({ send }) => {
      if (isObjectCreate) expect(() => send(forge())).toThrow(SSEFieldError);
      else send(forge());
    });
    refusedOrReal(kind, await pushed.text());
  });

  test('returned by onError as the final event: nothing of it is written', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = sseResponse(
      async function* () {
        yield 'fine';
        throw new Error('source failed');
      },
      { onError: () => forge(), heartbeat: false },
    );
    refusedOrReal(kind, await response.text());
    log.mockRestore();
  });

  test('through SSEEncoderStream: the stream errors with SSEFieldError', async () => {
    const bytes = streamOf(['fine', forge()]).pipeThrough(new SSEEncoderStream());
    const seen: string[] = [];
    const decoder = new TextDecoder();
    const reader = bytes.getReader();
    const read = (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        seen.push(decoder.decode(r.value));
      }
    })();
    if (isObjectCreate) await expect(read).rejects.toThrow(FORGED);
    else await read;
    refusedOrReal(kind, seen.join(''));
  });

  test("returned by a relay's transform: the relayed stream ends before it", async () => {
    const onError = vi.fn();
    const upstream = sseResponse(['one', 'two'], { heartbeat: false });
    const relayed = transformEvents(
      upstream,
      { heartbeat: false, onError },
      mapEvents((event: { data: string }) => (event.data === 'two' ? forge() : event)),
    );
    // A refused message fails the relay: its body ends broken, after the rest.
    const { text, error } = await chunkReader(relayed).settled();
    refusedOrReal(kind, text);
    expect(text).toContain('data: one\n\n');
    expect(error !== undefined).toBe(onError.mock.calls.length > 0);
    if (isObjectCreate) expect(onError.mock.calls[0]![0]).toBeInstanceOf(SSEFieldError);
  });

  test('published to a hub: refused with SSEOptionError, like a real one', async () => {
    const hub = createHub();
    expect(() => hub.publish('t', forge() as never)).toThrow(SSEOptionError);
    await hub.close();
    await settle();
  });
});

// `instanceof` is asked first, for speed; the brand decides. A real message
// that fails `instanceof` (its class's Symbol.hasInstance redefined, its
// prototype replaced) is still sent as its bytes, never as an empty message,
// and its text is read from those bytes, not from a property it was given.
describe('a real EncodedMessage is known by its brand alone', () => {
  const real = () => preEncode({ event: 'note', data: 'two' });
  const withInstanceOf = async (answer: boolean, run: () => Promise<void> | void) => {
    Object.defineProperty(EncodedMessage, Symbol.hasInstance, {
      value: () => answer,
      configurable: true,
    });
    try {
      await run();
    } finally {
      delete (EncodedMessage as { [Symbol.hasInstance]?: unknown })[Symbol.hasInstance];
    }
  };

  test('its class answering no to instanceof: sent as its bytes on every path', () =>
    withInstanceOf(false, async () => {
      const message = real();
      expect(encodeMessage(message)).toBe('event: note\ndata: two\n\n');
      expect(preEncode(message).text).toBe('event: note\ndata: two\n\n');
      for (const path of PATHS) {
        const text = await textOf(sseResponse([message], { heartbeat: false }), path);
        expect(text).toBe(':\n\nevent: note\ndata: two\n\n');
      }
      const encoded = new Response(
        new Response('x')
          .body!.pipeThrough(new TransformStream({ transform: (_, c) => c.enqueue(message) }))
          .pipeThrough(new SSEEncoderStream()),
      );
      expect(await encoded.text()).toBe('event: note\ndata: two\n\n');
    }));

  test('its prototype replaced: still its bytes', () => {
    const message = real();
    Object.setPrototypeOf(message, null);
    expect(encodeMessage(message)).toBe('event: note\ndata: two\n\n');
  });

  test('its class answering yes to anything: no TypeError for null or a number', () =>
    withInstanceOf(true, () => {
      expect(() => encodeMessage(null as never)).toThrow(SSEFieldError);
      expect(() => encodeMessage(5 as never)).toThrow(SSEFieldError);
    }));

  test('a text property given to it is not what is sent', () => {
    const message = real();
    Object.defineProperty(message, 'text', { value: 'event: forged\ndata: x\n\n' });
    expect(encodeMessage(message)).toBe('event: note\ndata: two\n\n');
  });
});
