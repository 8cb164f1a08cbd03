/**
 * What the Deno and Bun adapters share: the end of an event stream, as the
 * runtime's reading of the body tells it.
 *
 * @module
 */
import { isEventStreamType } from '../../../src/wire/content-type.ts';

/**
 * @internal `response` itself when it is not an event stream with a body;
 * else the same response around a body of the same bytes, pulled one read
 * at a time, that calls `onEnd` when the runtime stops reading it: with
 * `true` when it cancels the body (the client left), with `false` when the
 * body ends or errors (a push writer's overflow).
 */
export function watchStreamEnd(response: Response, onEnd: (cancelled: boolean) => void): Response {
  if (!response.body || !isEventStreamType(response.headers.get('content-type'))) {
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>(
    {
      pull: (controller) =>
        reader.read().then(
          (read) => {
            if (!read.done) return controller.enqueue(read.value);
            onEnd(false);
            controller.close();
          },
          (error) => {
            onEnd(false);
            throw error;
          },
        ),
      cancel(reason) {
        onEnd(true);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, response);
}
