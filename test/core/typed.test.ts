import { expect, expectTypeOf, test } from 'vitest';
import { createEventStream, type SSEItem, type SSEMessage, sseResponse } from '../../src/index.ts';

type Events = { tick: { n: number }; message: string };

test('an event map types event names and data end to end', async () => {
  const response = sseResponse<Events>(async function* ({ event }) {
    expectTypeOf(event).parameter(0).toEqualTypeOf<'tick' | 'message'>();
    yield { event: 'tick', data: { n: 1 } };
    yield { data: 'plain' };
  });
  const text = await response.text();
  expect(text).toContain('event: tick\ndata: {"n":1}\n\n');
  expect(text).toContain('data: plain\n\n');
});

test('the writer is typed by the same map', () => {
  const { writer } = createEventStream<Events>();
  expect(writer.event('tick', { n: 2 })).toBe(true);
  expect(writer.data('hello')).toBe(true);
  // @ts-expect-error: no such event
  writer.event('tock', { n: 2 });
  // @ts-expect-error: wrong data for tick
  writer.event('tick', 'two');
  writer.close();
  const message: SSEMessage<Events> = { event: 'tick', data: { n: 3 }, id: 1 };
  expectTypeOf(message).toExtend<SSEItem<Events>>();
  // @ts-expect-error: `n` must be a number
  const wrongData: SSEItem<Events> = { event: 'tick', data: { n: 'one' } };
  // @ts-expect-error: an event not in the map
  const wrongName: SSEItem<Events> = { event: 'tock', data: 1 };
  expect([wrongData, wrongName]).toHaveLength(2);
});

test('untyped streams take any event and data', () => {
  const { writer } = createEventStream();
  expect(writer.event('anything', { at: 'all' })).toBe(true);
  expect(writer.data(42)).toBe(true);
  writer.close();
});
