import { isObject, need } from '../checks.ts';
import type { EventMap } from '../wire/message.ts';
import { isOutletSource } from '../wire/outlet.ts';
import type { SSEContext, SSESource, SSEWriter } from './context.ts';
import { offerDirect } from './direct.ts';
import { responseHeaders } from './headers.ts';
import { streamSettings } from './response-checks.ts';
import type { SSEResponseInit } from './response-options.ts';
import { EventStream } from './stream.ts';

/**
 * A streaming `Response` of server-sent events from `source`. It can be
 * returned from any fetch handler: Workers, Deno's and Bun's `serve`, Node
 * through `ssekit/node`, Hono, h3, Elysia, Next.js and others.
 *
 * The stream ends when the source ends, when the client leaves, or on
 * `close()`. Headers and a first chunk are sent at once; the source is read
 * only as fast as the client reads.
 *
 * @example
 * ```ts
 * export default {
 *   fetch: (request: Request) =>
 *     sseResponse(async function* ({ signal }) {
 *       while (!signal.aborted) {
 *         yield { event: 'time', data: new Date().toISOString() };
 *         await sleep(1000, signal);
 *       }
 *     }, { request }),
 * };
 * ```
 */
export function sseResponse<Events extends EventMap = EventMap>(
  source: SSESource<Events>,
  init: SSEResponseInit = {},
): Response {
  checkSource(source);
  const { stream, response } = open<Events>(init);
  try {
    const result = typeof source === 'function' ? source(stream as SSEContext<Events>) : source;
    if (isOutletSource(result)) {
      stream.connect(result);
    } else if (isReadableStream(result)) {
      const reader = result.getReader();
      stream.readFrom({ next: () => reader.read(), return: () => reader.cancel() });
    } else if (isObject(result) && Symbol.asyncIterator in result) {
      stream.readFrom(result[Symbol.asyncIterator]());
    } else if (isObject(result) && Symbol.iterator in result) {
      stream.readFrom(result[Symbol.iterator]());
    } else {
      stream.endWith(result);
    }
  } catch (error) {
    stream.fail(error);
  }
  return response;
}

/**
 * A stream to write to from anywhere, for code that keeps connections and
 * writes later (a notification feed with a map of clients). The stream stays
 * open until `writer.close()`, the client leaving, or the `signal` option.
 *
 * @example
 * ```ts
 * const clients = new Map<string, SSEWriter>();
 * function handle(request: Request, user: string) {
 *   const { response, writer } = createEventStream({ request });
 *   clients.set(user, writer);
 *   writer.closed.then(() => clients.delete(user));
 *   return response;
 * }
 * clients.get('ada')?.event('notification', { text: 'hi' });
 * ```
 */
export function createEventStream<Events extends EventMap = EventMap>(
  init: SSEResponseInit = {},
): { response: Response; writer: SSEWriter<Events> } {
  const { stream, response } = open<Events>(init);
  return { response, writer: stream as SSEWriter<Events> };
}

function open<Events extends EventMap>(init: SSEResponseInit) {
  const options = streamSettings(init);
  const headers = responseHeaders(init.headers);
  const stream = new EventStream<Events>(options);
  const response = new Response(stream.createBody(), { status: init.status ?? 200, headers });
  return { stream, response: offerDirect(response, stream) };
}

function checkSource(source: unknown): void {
  need(
    typeof source === 'function' ||
      isReadableStream(source) ||
      (isObject(source) && (Symbol.asyncIterator in source || Symbol.iterator in source)),
    'source',
    'a function, an iterable, an async iterable or a ReadableStream',
    source,
    'Pass one of those.',
  );
}

function isReadableStream(value: unknown): value is ReadableStream {
  return typeof (value as ReadableStream)?.getReader === 'function';
}
