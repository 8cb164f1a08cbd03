import { describe, expect, test } from 'vitest';
import { createSSEParser, SSEParseError, SSEParserStream } from '../../src/client/index.ts';
import { SSEError, SSEOptionError } from '../../src/index.ts';
import { concat, parse, utf8 } from './parser-helpers.ts';

describe('SSEParserStream', () => {
  test('events carry their own id and the persisting lastEventId', async () => {
    const { events, lastEventId } = await parse(
      [utf8('id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\n\n')],
      { lastEventId: 'start' },
    );
    expect(events).toEqual([
      { event: 'message', data: 'a', id: '1', lastEventId: '1' },
      { event: 'message', data: 'b', id: undefined, lastEventId: '1' },
      { event: 'message', data: 'c', id: '', lastEventId: '' },
    ]);
    expect(lastEventId).toBe('2');
  });

  test('the starting lastEventId is kept until an id arrives', async () => {
    const { events } = await parse([utf8('data: a\n\n')], { lastEventId: '41' });
    expect(events[0]!.lastEventId).toBe('41');
  });

  test('an event ended by CR is dispatched before any more input arrives', async () => {
    const stream = new SSEParserStream();
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    void writer.write(utf8('data: now\r\r'));
    expect((await reader.read()).value?.data).toBe('now');
    // The LF that may follow belongs to the CR before it: no second blank line.
    void writer.write(utf8('\ndata: next\r'));
    void writer.write(utf8('\n\n'));
    expect((await reader.read()).value?.data).toBe('next');
    await writer.close();
    expect((await reader.read()).done).toBe(true);
  });

  test('bytes are decoded across chunk ends, bad bytes become U+FFFD', async () => {
    const euro = utf8('€');
    const { events } = await parse([
      utf8('data: '),
      euro.subarray(0, 1),
      euro.subarray(1),
      new Uint8Array([0xff, 0x20, 0xc3]),
      utf8('\n\n'),
    ]);
    expect(events.map((e) => e.data)).toEqual(['€\uFFFD \uFFFD']);
  });

  test('one BOM is stripped even when cut into single bytes', async () => {
    const bytes = concat([new Uint8Array([0xef, 0xbb, 0xbf]), utf8('data: a\n\n')]);
    const { events } = await parse(Array.from(bytes, (byte) => new Uint8Array([byte])));
    expect(events.map((e) => e.data)).toEqual(['a']);
  });

  test('retry is reported at once and only when all ASCII digits', async () => {
    const { retries } = await parse([
      utf8('retry: 10\nretry: 1.5\nretry: -1\nretry:\nretry: 1e3\nretry: ٣\nretry:007\n'),
    ]);
    expect(retries).toEqual([10, 7]);
  });

  test('comments reach onComment without the colon and one space', async () => {
    const { comments, events } = await parse([utf8(': a\n:b\n:  c\n:\n\n')]);
    expect(comments).toEqual(['a', 'b', ' c', '']);
    expect(events).toEqual([]);
  });

  test('strings are parsed as already decoded text', async () => {
    const { events } = await parse(['\uFEFFda', 'ta: é\r', '\n\r\n']);
    expect(events.map((e) => e.data)).toEqual(['é']);
  });
});

describe('limits', () => {
  test.each([
    ['in one chunk', [utf8(`data: ${'x'.repeat(200)}\n\n`)]],
    ['across chunks', Array.from({ length: 50 }, () => utf8('xxxxxxxx'))],
  ])('a line longer than maxLineLength errors the stream (%s)', async (_, chunks) => {
    const { error } = await parse(chunks, { maxLineLength: 100 });
    expect(error).toBeInstanceOf(SSEParseError);
    expect(error).toBeInstanceOf(SSEError);
    expect((error as SSEParseError).reason).toBe('line-too-long');
    expect((error as SSEParseError).message).toContain('maxLineLength');
  });

  test('an event whose data grows past maxEventLength errors the stream', async () => {
    const { events, error } = await parse(
      [utf8('data: 12345\n\n'), utf8('data: 1234\ndata: 5\n\n')],
      {
        maxEventLength: 5,
      },
    );
    expect(events.map((e) => e.data)).toEqual(['12345']);
    expect((error as SSEParseError).reason).toBe('event-too-long');
  });

  test.each([
    ['read as they come', 0],
    ['read after the error', 20],
  ])(
    'the events of a chunk before a limit error all come out, then the error (%s)',
    async (_, delay) => {
      const source = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(utf8(`data: 1\n\ndata: 2\n\ndata: 3\n\ndata: ${'x'.repeat(50)}\n`));
        },
      });
      const reader = source.pipeThrough(new SSEParserStream({ maxEventLength: 20 })).getReader();
      await new Promise((resolve) => setTimeout(resolve, delay));
      const seen: string[] = [];
      const error = await (async () => {
        for (let next = await reader.read(); !next.done; next = await reader.read()) {
          seen.push(next.value.data);
        }
      })().catch((cause: unknown) => cause);
      expect(seen).toEqual(['1', '2', '3']);
      expect((error as SSEParseError).reason).toBe('event-too-long');
    },
  );

  test('an upstream error also comes after the events parsed before it', async () => {
    let pulls = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(utf8('data: 1\n\ndata: 2\n\n'));
        else controller.error(new Error('reset'));
      },
    });
    const reader = source.pipeThrough(new SSEParserStream()).getReader();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const events: string[] = [];
    const error = await (async () => {
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        events.push(next.value.data);
      }
    })().catch((cause: unknown) => cause);
    expect(events).toEqual(['1', '2']);
    expect(String(error)).toContain('reset');
  });

  test('limits count exactly: a line of maxLineLength passes', async () => {
    const { events, error } = await parse([utf8(`data:${'x'.repeat(95)}\n\n`)], {
      maxLineLength: 100,
    });
    expect(error).toBeUndefined();
    expect(events[0]!.data).toHaveLength(95);
  });
});

describe('linear time', () => {
  const line = `data: ${'x'.repeat(1024 * 1024)}\n\n`;

  test('a 1 MB line fed in 64-character pieces is not quadratic', () => {
    const events: string[] = [];
    const parser = createSSEParser({ onEvent: (event) => events.push(event.data) });
    const started = performance.now();
    for (let i = 0; i < line.length; i += 64) parser.feed(line.slice(i, i + 64));
    // Joining the pieces once is milliseconds; re-joining per piece is
    // about 8 GB of copying, many seconds.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(events).toEqual([line.slice(6, -2)]);
  });

  test('the same through SSEParserStream as 64-byte chunks', async () => {
    const bytes = utf8(line);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 64) }, (_, i) =>
      bytes.subarray(i * 64, i * 64 + 64),
    );
    const started = performance.now();
    const { events } = await parse(chunks);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(events[0]!.data.length).toBe(1024 * 1024);
  });

  test('many short lines without a colon in one chunk stay linear', () => {
    const text = 'x\n'.repeat(200_000) + 'data: end\n\n';
    let data = '';
    const parser = createSSEParser({ onEvent: (event) => (data = event.data) });
    const started = performance.now();
    parser.feed(text);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(data).toBe('end');
  });
});

describe('many short pieces', () => {
  test('an event of thousands of data lines is joined exactly, whatever the chunking', () => {
    const values = Array.from({ length: 3000 }, (_, i) => (i % 7 ? `${i}` : ''));
    const text = `${values.map((value) => `data: ${value}\n`).join('')}\ndata: next\n\n`;
    for (const size of [1, 5, 64, text.length]) {
      const events: string[] = [];
      const parser = createSSEParser({ onEvent: (event) => events.push(event.data) });
      for (let i = 0; i < text.length; i += size) parser.feed(text.slice(i, i + size));
      expect(events).toEqual([values.join('\n'), 'next']);
    }
  });

  test('a line fed one character at a time is whole and counted', () => {
    const value = 'é'.repeat(2000);
    const events: string[] = [];
    const parser = createSSEParser({
      onEvent: (event) => events.push(event.data),
      maxLineLength: 2006,
    });
    for (const char of `data: ${value}\n\n`) parser.feed(char);
    expect(events).toEqual([value]);
    const strict = createSSEParser({ maxLineLength: 2005 });
    expect(() => {
      for (const char of `data: ${value}\n`) strict.feed(char);
    }).toThrow(SSEParseError);
  });

  test('empty data lines count their line feeds toward maxEventLength', () => {
    const parser = createSSEParser({ maxEventLength: 100 });
    // 101 empty lines: 100 line feeds between them, exactly the limit.
    parser.feed('data\n'.repeat(101));
    expect(() => parser.feed('data\n')).toThrow(/maxEventLength/);
  });
});

describe('limit options', () => {
  test.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10'])(
    'a limit of %s is refused when the parser is made',
    (value) => {
      expect(() => createSSEParser({ maxEventLength: value as number })).toThrow(SSEOptionError);
      expect(() => new SSEParserStream({ maxLineLength: value as number })).toThrow(
        /maxLineLength: expected a whole number/,
      );
    },
  );

  test('the defaults: events of 16 Mi characters, lines of that plus a field name', () => {
    const events: number[] = [];
    const parser = createSSEParser({ onEvent: (event) => events.push(event.data.length) });
    parser.feed(`data: ${'x'.repeat(16 * 1024 * 1024)}\n\n`);
    expect(events).toEqual([16 * 1024 * 1024]);
    expect(() => parser.feed(`data: ${'x'.repeat(16 * 1024 * 1024 + 1)}\n`)).toThrow(
      /maxEventLength/,
    );
  });
});
