import { describe, expect, test } from 'vitest';
import { SSEError, SSEOptionError } from '../../src/errors.ts';
import { createMemoryLog, hubEntry } from '../../src/hub/index.ts';
import { EncodedMessage, encodeMessage, preEncode } from '../../src/index.ts';

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
