import { describe, expect, test } from 'vitest';
import {
  encodeComment,
  encodeMessage,
  preEncode,
  SSEError,
  SSEFieldError,
  SSESerializeError,
} from '../../src/index.ts';

function fieldError(run: () => unknown): SSEFieldError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SSEFieldError);
    expect(error).toBeInstanceOf(SSEError);
    return error as SSEFieldError;
  }
  throw new Error('expected an SSEFieldError');
}

describe('encodeMessage', () => {
  test('a string is one data message', () => {
    expect(encodeMessage('hello')).toBe('data: hello\n\n');
  });

  test('data is split on CRLF, CR and LF alike, one data line each', () => {
    expect(encodeMessage({ data: 'a\r\nb\rc\nd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n');
    expect(encodeMessage({ data: '\n' })).toBe('data: \ndata: \n\n');
    expect(encodeMessage({ data: 'data: x\n\nevent: y' })).toBe(
      'data: data: x\ndata: \ndata: event: y\n\n',
    );
  });

  test('every field, one space after the colon, blank line at the end', () => {
    expect(encodeMessage({ comment: 'c', event: 'tick', id: 7, retry: 1000, data: { n: 1 } })).toBe(
      ': c\nevent: tick\nid: 7\nretry: 1000\ndata: {"n":1}\n\n',
    );
  });

  test('non-string data is JSON by default, or what serialize returns', () => {
    expect(encodeMessage({ data: [1, 'a'] })).toBe('data: [1,"a"]\n\n');
    expect(encodeMessage({ data: null })).toBe('data: null\n\n');
    expect(encodeMessage({ data: 0 })).toBe('data: 0\n\n');
    const serialize = (value: unknown) => `<${String(value)}>\nnext`;
    expect(encodeMessage({ data: 5 }, { serialize })).toBe('data: <5>\ndata: next\n\n');
  });

  test('an event without data still dispatches; an id alone does not', () => {
    expect(encodeMessage({ event: 'ping' })).toBe('event: ping\ndata: \n\n');
    expect(encodeMessage({ id: 'x' })).toBe('id: x\n\n');
    expect(encodeMessage({ data: '' })).toBe('data: \n\n');
  });

  test('retry goes up to 2^31-1 ms, the longest delay a client timer can wait', () => {
    expect(encodeMessage({ retry: 2 ** 31 - 1 })).toBe(`retry: ${2 ** 31 - 1}\n\n`);
    expect(encodeMessage({ retry: 0 })).toBe('retry: 0\n\n');
    // Above it Node's setTimeout fires after 1 ms: the client would hammer the server.
    expect(fieldError(() => encodeMessage({ retry: 2 ** 31 })).message).toMatch(/2147483647/);
  });

  test('comments are split per line', () => {
    expect(encodeMessage({ comment: 'a\r\nb\n' })).toBe(': a\n: b\n:\n\n');
    expect(encodeComment('keep-alive')).toBe(': keep-alive\n\n');
  });

  test.each([
    ['event', { event: 'a\nb' }],
    ['event', { event: 'a\rdata: x' }],
    ['event', { event: 5 }],
    ['id', { id: 'a\r\nevent: admin' }],
    ['id', { id: 'a\0b' }],
    ['id', { id: Number.NaN }],
    ['id', { id: {} }],
    ['retry', { retry: -1 }],
    ['retry', { retry: 1.5 }],
    ['retry', { retry: '100' }],
    ['retry', { retry: 2 ** 53 }],
    ['retry', { retry: 2 ** 31 }],
    ['retry', { retry: 9999999999 }],
    ['comment', { comment: 7 }],
  ] as const)('%s is rejected with a typed error: %o', (field, message) => {
    const error = fieldError(() => encodeMessage(message as never));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^${field}: expected`));
  });

  test('a message that is not an object or string is rejected', () => {
    expect(fieldError(() => encodeMessage(42 as never)).field).toBe('data');
    expect(fieldError(() => encodeMessage(null as never)).field).toBe('data');
  });

  test('data that cannot be serialized gets SSESerializeError', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => encodeMessage({ data: cycle })).toThrow(SSESerializeError);
    expect(() => encodeMessage({ data: 10n })).toThrow(SSESerializeError);
    expect(() => encodeMessage({ data: () => 1 })).toThrow(/got a function/);
    expect(() => encodeMessage({ data: 1 }, { serialize: () => 1 as never })).toThrow(
      SSESerializeError,
    );
    // The option at fault is named, with what to do about it.
    expect(() => encodeMessage({ data: 1 }, { serialize: () => 1 as never })).toThrow(
      /serialize: expected a string, got 1\. .*or fix serialize/,
    );
  });

  test.each([
    ['a Promise', Promise.resolve({ n: 1 }), /a Promise.*await/],
    // biome-ignore lint/suspicious/noThenProperty: a thenable from another promise library
    ['a thenable', { then: () => {} }, /a Promise.*await/],
    ['a function', () => 1, /a function/],
    ['a symbol', Symbol('s'), /a symbol/],
  ])('%s as data is refused, whatever the serializer', (_, data, message) => {
    for (const serialize of [undefined, () => 'text']) {
      expect(() => encodeMessage({ data }, { serialize })).toThrow(SSESerializeError);
      expect(() => encodeMessage({ data }, { serialize })).toThrow(message);
    }
  });

  test('every serialization failure is an SSESerializeError, whatever was thrown', () => {
    const throwing = (thrown: unknown) => ({
      toJSON() {
        throw thrown;
      },
    });
    for (const thrown of [Symbol('boom'), Object.create(null), null, 'text', new Error('plain')]) {
      expect(() => encodeMessage({ data: throwing(thrown) })).toThrow(SSESerializeError);
    }
    // A thrown object whose `message` getter throws too.
    const trap = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    expect(() => encodeMessage({ data: throwing(trap) })).toThrow(SSESerializeError);
    expect(() => encodeMessage({ data: { toJSON: () => Symbol('s') } })).toThrow(SSESerializeError);
    expect(() => encodeMessage({ data: 1 }, { serialize: () => Symbol('s') as never })).toThrow(
      SSESerializeError,
    );
    expect(() => encodeMessage({ data: 1 }, { serialize: () => Object.create(null) })).toThrow(
      SSESerializeError,
    );
  });

  test('preEncode validates once and keeps text and bytes', () => {
    const message = preEncode({ event: 'a', id: 1, data: 'é' });
    expect(message.text).toBe('event: a\nid: 1\ndata: é\n\n');
    expect(new TextDecoder().decode(message.bytes)).toBe(message.text);
    expect(encodeMessage(message)).toBe(message.text);
    expect(preEncode(message)).toBe(message);
    expect(() => preEncode({ event: '\n' })).toThrow(SSEFieldError);
  });
});
