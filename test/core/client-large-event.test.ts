import { describe, expect, test } from 'vitest';
import {
  connect,
  createSSEParser,
  EventSource,
  readEvents,
  type SSEEvent,
  SSEParserStream,
} from '../../src/client/index.ts';
import { transformEvents } from '../../src/middleware/index.ts';

// Real streams send single events of several MiB: an image-generation API
// streams each image as one base64 `data` line. Every reader takes one of
// 6 MiB with its default limits, on one line, in the 64 KiB chunks a
// network delivers, and goes on reading after it.
const MiB = 1024 * 1024;
const image = 'iVBORw0KGgo+/'.repeat(Math.ceil((6 * MiB) / 13)).slice(0, 6 * MiB);
const wire = `event: image\nid: 1\ndata: ${image}\n\ndata: after\n\n`;

function chunks(): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(wire);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 64 * 1024));
      offset += 64 * 1024;
    },
  });
}

const response = () => new Response(chunks(), { headers: { 'content-type': 'text/event-stream' } });
const fetch = async () => response();

/** Each reader with its defaults, reading `wire` to its end: what it delivered. */
const readers: Record<string, () => Promise<Pick<SSEEvent, 'event' | 'data'>[]>> = {
  async createSSEParser() {
    const events: SSEEvent[] = [];
    const parser = createSSEParser({ onEvent: (event) => events.push(event) });
    for (let at = 0; at < wire.length; at += 64 * 1024) parser.feed(wire.slice(at, at + 64 * 1024));
    return events;
  },
  async SSEParserStream() {
    const events: SSEEvent[] = [];
    const reader = chunks().pipeThrough(new SSEParserStream()).getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      events.push(next.value);
    }
    return events;
  },
  async readEvents() {
    const events: SSEEvent[] = [];
    for await (const event of readEvents(chunks())) events.push(event);
    return events;
  },
  async connect() {
    const events: SSEEvent[] = [];
    for await (const event of connect('http://test/', { fetch, reconnect: false })) {
      events.push(event);
    }
    return events;
  },
  EventSource() {
    const source = new EventSource('http://test/', { fetch });
    const events: { event: string; data: string }[] = [];
    return new Promise((resolve, reject) => {
      const take = (event: Event) => {
        events.push({ event: event.type, data: (event as MessageEvent).data });
        if (events.length === 2) {
          source.close();
          resolve(events);
        }
      };
      source.addEventListener('image', take);
      source.addEventListener('message', take);
      source.onerror = (event) => {
        source.close();
        reject((event as Event & { error?: unknown }).error);
      };
    });
  },
  async transformEvents() {
    const errors: unknown[] = [];
    const relayed = transformEvents(response(), {
      heartbeat: false,
      onError: (error) => void errors.push(error),
    });
    const text = await relayed.text();
    if (errors.length > 0) throw errors[0];
    expect(text).toBe(`:\n\n${wire}`);
    return [
      { event: 'image', data: image },
      { event: 'message', data: 'after' },
    ];
  },
};

describe('a 6 MiB event with the default limits', () => {
  test.each(Object.keys(readers))(
    '%s delivers it whole, and the event after it',
    async (name) => {
      const events = await readers[name]!();
      expect(events.map(({ event, data }) => [event, data.length])).toEqual([
        ['image', image.length],
        ['message', 5],
      ]);
      expect(events[0]!.data === image).toBe(true);
    },
    30_000,
  );
});
