import { vi } from 'vitest';

export type Reply = {
  body?: BodyInit | null;
  status?: number;
  type?: string;
  headers?: HeadersInit;
  url?: string;
};

/** A fetch that answers each call with the next reply (the last one repeats) and records requests. */
export function mockFetch(...replies: (Reply | Error | (() => Reply))[]) {
  const requests: { url: string; init: RequestInit; headers: Headers }[] = [];
  const fetch = vi.fn(async (input: string | URL | Request, init: RequestInit = {}) => {
    requests.push({ url: String(input), init, headers: new Headers(init.headers) });
    let reply = replies[Math.min(requests.length, replies.length) - 1]!;
    if (typeof reply === 'function') reply = reply();
    if (reply instanceof Error) throw reply;
    const status = reply.status ?? 200;
    // A Response with status 204 or 205 may not have a body.
    const response = new Response(status === 204 || status === 205 ? null : (reply.body ?? ''), {
      status,
      headers: { 'content-type': reply.type ?? 'text/event-stream', ...reply.headers },
    });
    if (reply.url) Object.defineProperty(response, 'url', { value: reply.url });
    return response;
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, requests };
}

/** A body that sends `text` and then stays open until cancelled; `cancelled` tells when. */
export function openBody(text = '') {
  let cancelled!: () => void;
  const whenCancelled = new Promise<void>((resolve) => {
    cancelled = resolve;
  });
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (text) controller.enqueue(new TextEncoder().encode(text));
    },
    cancel() {
      cancelled();
    },
  });
  return { body, whenCancelled };
}

export async function collect<T>(iterable: AsyncIterable<T>, limit = Infinity): Promise<T[]> {
  const events: T[] = [];
  for await (const event of iterable) {
    events.push(event);
    if (events.length >= limit) break;
  }
  return events;
}

/** The error an async iterable throws; fails when it ends without one. */
export async function thrown(iterable: AsyncIterable<unknown>): Promise<unknown> {
  try {
    await collect(iterable);
  } catch (error) {
    return error;
  }
  throw new Error('expected the iteration to throw');
}
