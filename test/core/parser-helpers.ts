import { createDecoder } from '../../src/client/decode.ts';
import { SSEParserStream, type SSEParserStreamOptions } from '../../src/client/index.ts';
import type { SSEEvent } from '../../src/wire/event.ts';
import { createSSEParser } from '../../src/wire/parse.ts';
import parserCases from '../fixtures/conformance/eventsource-parser-cases.json';
import wptCases from '../fixtures/conformance/wpt-format-cases.json';

export interface WptCase {
  name: string;
  body_hex: string;
  content_type: string;
  chunks?: string[];
  expected: { event: string; data: string; id: string }[];
  expected_last_event_id_after: string;
  initial_last_event_id?: string;
  expected_reconnection_time_ms?: number;
}

export interface ParserCase {
  name: string;
  chunks: string[];
  upstream_expected: { data: string; event?: string; id?: string }[];
  spec_reference_event_data: [string, string][];
  onRetry_calls: number[];
  onId_calls: string[];
}

/** The web-platform-tests cases, from test/fixtures/conformance. */
export const wpt = wptCases as WptCase[];
/** eventsource-parser's own cases, from test/fixtures/conformance. */
export const eventsourceParser = parserCases as ParserCase[];

export const hexBytes = (hex: string) =>
  Uint8Array.from(hex.match(/../g) ?? [], (byte) => Number.parseInt(byte, 16));

export const utf8 = (text: string) => new TextEncoder().encode(text);

/** Bytes from a string of chars 0-255, as a latin1 decoder would have made it. */
export const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));

export const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};

export interface Parsed {
  events: SSEEvent[];
  lastEventId: string;
  retries: number[];
  comments: string[];
  error?: unknown;
}

/** Runs chunks through one SSEParserStream and collects everything it reports. */
export async function parse(
  chunks: Iterable<Uint8Array | string>,
  options: SSEParserStreamOptions = {},
): Promise<Parsed> {
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = new SSEParserStream({
    ...options,
    onRetry: (ms) => retries.push(ms),
    onComment: (text) => comments.push(text),
  });
  const list = [...chunks];
  const source = new ReadableStream<Uint8Array | string>({
    pull(controller) {
      const next = list.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
  const events: SSEEvent[] = [];
  const reader = source.pipeThrough(parser).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      events.push(value);
    }
  } catch (error) {
    return { events, lastEventId: parser.lastEventId, retries, comments, error };
  }
  return { events, lastEventId: parser.lastEventId, retries, comments };
}

/**
 * What SSEParserStream does with each chunk, without the stream around it:
 * for the thousands of splits of a case, where streams would cost seconds.
 */
export function parseSync(
  chunks: Iterable<Uint8Array | string>,
  options: SSEParserStreamOptions = {},
): Parsed {
  const retries: number[] = [];
  const comments: string[] = [];
  const events: SSEEvent[] = [];
  const decode = createDecoder();
  const parser = createSSEParser({
    ...options,
    onEvent: (event) => events.push(event),
    onRetry: (ms) => retries.push(ms),
    onComment: (text) => comments.push(text),
  });
  for (const chunk of chunks) parser.feed(typeof chunk === 'string' ? chunk : decode(chunk));
  return { events, lastEventId: parser.lastEventId, retries, comments };
}

/** The same input cut in two at every position. */
export function* cutsInTwo<T extends Uint8Array | string>(input: T): Generator<T[]> {
  for (let i = 0; i <= input.length; i++) yield [input.slice(0, i) as T, input.slice(i) as T];
}
