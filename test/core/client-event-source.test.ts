import { describe, expect, test } from 'vitest';
import { EventSource, SSEResponseError } from '../../src/client/index.ts';
import { mockFetch, openBody } from './client-helpers.ts';

/** Records what an EventSource dispatches, with readyState at that moment. */
function record(source: EventSource, types: string[]) {
  const log: string[] = [];
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  for (const type of types) {
    source.addEventListener(type, (event) => {
      const { data, lastEventId } = event as MessageEvent;
      log.push(
        data === undefined
          ? `${type}@${source.readyState}`
          : `${type}:${data}:${lastEventId}@${source.readyState}`,
      );
      if (source.readyState === source.CLOSED) resolveDone();
    });
  }
  return { log, done };
}

describe('EventSource', () => {
  test('constants, url and withCredentials look like the browser interface', () => {
    const { fetch } = mockFetch({ status: 204 });
    const source = new EventSource(new URL('http://test/a?b=1'), { fetch, withCredentials: true });
    expect([EventSource.CONNECTING, EventSource.OPEN, EventSource.CLOSED]).toEqual([0, 1, 2]);
    expect([source.CONNECTING, source.OPEN, source.CLOSED]).toEqual([0, 1, 2]);
    expect(source.url).toBe('http://test/a?b=1');
    expect(source.withCredentials).toBe(true);
    expect(source.readyState).toBe(0);
    expect(source).toBeInstanceOf(EventTarget);
    source.close();
  });

  test('it can be passed where the DOM EventSource type is expected', () => {
    const { fetch } = mockFetch({ status: 204 });
    // A type check as much as a run: this file is compiled with the DOM types.
    const readyState = (source: globalThis.EventSource) => source.readyState;
    const source = new EventSource('http://test/', { fetch });
    expect(readyState(source)).toBe(EventSource.CONNECTING);
    source.close();
    expect(readyState(source)).toBe(EventSource.CLOSED);
  });

  test('open, messages, named events, reconnection and 204 like a browser', async () => {
    const { fetch, requests } = mockFetch(
      { body: 'retry: 1\nid: 1\ndata: a\n\nevent: tick\ndata: t\n\n', url: 'http://test/final' },
      { body: 'data: b\n\n' },
      { status: 204 },
    );
    const source = new EventSource('http://test/', { fetch, headers: { authorization: 'x' } });
    const { log, done } = record(source, ['open', 'message', 'tick', 'error']);
    const handled: string[] = [];
    let origin = '';
    source.onopen = () => handled.push('onopen');
    source.onmessage = (event) => {
      handled.push(`onmessage:${event.data}`);
      origin ||= event.origin;
    };
    source.onerror = () => handled.push('onerror');
    await done;
    expect(log).toEqual([
      'open@1',
      'message:a:1@1',
      'tick:t:1@1',
      'error@0',
      'open@1',
      'message:b:1@1',
      'error@0',
      'error@2',
    ]);
    expect(handled).toEqual([
      'onopen',
      'onmessage:a',
      'onerror',
      'onopen',
      'onmessage:b',
      'onerror',
      'onerror',
    ]);
    expect(origin).toBe('http://test');
    expect(requests.map((r) => r.headers.get('authorization'))).toEqual(['x', 'x', 'x']);
    expect(requests[1]!.headers.get('last-event-id')).toBe('1');
    expect(requests[0]!.init.credentials).toBe('same-origin');
  });

  test('a status other than 200 closes it with one error carrying SSEResponseError', async () => {
    const { fetch, requests } = mockFetch({ status: 404 });
    const source = new EventSource('http://test/', { fetch, retryDelay: 1 });
    const errors: Event[] = [];
    source.onerror = (event) => errors.push(event);
    const { done } = record(source, ['error']);
    await done;
    expect(source.readyState).toBe(2);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Event & { error: unknown }).error).toBeInstanceOf(SSEResponseError);
    expect(requests).toHaveLength(1);
  });

  test('close() is synchronous and nothing is dispatched after it', async () => {
    const { body, whenCancelled } = openBody('data: a\n\n');
    const { fetch } = mockFetch({ body });
    const source = new EventSource('http://test/', { fetch });
    const seen: string[] = [];
    source.addEventListener('error', () => seen.push('error'));
    await new Promise<void>((resolve) => {
      source.onmessage = (event) => {
        seen.push(event.data);
        source.close();
        expect(source.readyState).toBe(2);
        resolve();
      };
    });
    await whenCancelled;
    expect(seen).toEqual(['a']);
  });

  test('method and body pass through, and a POST source still reconnects', async () => {
    const { fetch, requests } = mockFetch({ body: 'data: a\n\n' }, { status: 204 });
    const source = new EventSource('http://test/', {
      fetch,
      method: 'POST',
      body: 'q',
      retryDelay: 1,
    });
    const { done } = record(source, ['error']);
    await done;
    expect(requests.map((r) => [r.init.method, r.init.body])).toEqual([
      ['POST', 'q'],
      ['POST', 'q'],
    ]);
  });
});
