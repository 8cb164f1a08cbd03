/**
 * ssekit on Bun: `Bun.serve` closes any connection that is idle for 10 s
 * (`idleTimeout`), an event stream between two events included. This adapter
 * lifts that limit for event streams only, with `server.timeout(request, 0)`,
 * and keeps each stream's request referenced until the stream ends, so its
 * `signal` can still report the client leaving.
 *
 * @module
 */

/**
 * The part of Bun's `Server` this adapter uses.
 *
 * @example
 * ```ts
 * const server: BunServer = serve(app, { port: 0 });
 * console.log(server.url.href);
 * ```
 */
export interface BunServer {
  timeout(request: Request, seconds: number): void;
  readonly url: URL;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

/**
 * A fetch handler, as `Bun.serve` calls it.
 *
 * @example
 * ```ts
 * const app: BunHandler = (request) => sseResponse(['hi'], { request });
 * ```
 */
export type BunHandler = (request: Request, server: BunServer) => Response | Promise<Response>;

/**
 * Options of {@link serve}: any `Bun.serve` option but `fetch` (`port`,
 * `hostname`, `tls`, `idleTimeout` for the other responses...).
 *
 * @example
 * ```ts
 * serve(app, { port: 3000, idleTimeout: 30 });
 * ```
 */
export type BunServeOptions = Record<string, unknown> & { port?: number; hostname?: string };

// Only what this file uses of the Bun namespace; no @types needed.
declare const Bun: { serve(options: Record<string, unknown>): BunServer };

// The requests of open event streams: a request collected early takes its
// disconnect notice (`request.signal`) with it.
const _open = new Set<Request>();

/**
 * Wraps a fetch handler for `Bun.serve`: event streams are exempt from the
 * idle timeout and hold their request until they end. Other responses, and
 * the server's `idleTimeout` for them, are left alone.
 *
 * @example
 * ```ts
 * import { sseResponse } from 'ssekit';
 * import { toBunHandler } from 'ssekit/bun';
 *
 * Bun.serve({ port: 3000, fetch: toBunHandler((request) => sseResponse(['hi'], { request })) });
 * ```
 */
export function toBunHandler(handler: BunHandler): BunHandler {
  return async (request, server) => {
    const response = await handler(request, server);
    const eventStream = /^text\/event-stream/i.test(response.headers.get('content-type') ?? '');
    if (!eventStream || !response.body) return response;
    server.timeout(request, 0);
    return new Response(_holding(response.body, request), response);
  };
}

/**
 * `Bun.serve` with {@link toBunHandler}. Takes `Bun.serve`'s options
 * (`port: 0` for a free port) and returns Bun's server.
 *
 * @example
 * ```ts
 * import { serve } from 'ssekit/bun';
 * const server = serve(app, { port: 3000 });
 * console.log(`listening on ${server.url}`);
 * ```
 */
export function serve(handler: BunHandler, options: BunServeOptions = {}): BunServer {
  return Bun.serve({ ...options, fetch: toBunHandler(handler) });
}

/** The same bytes, pulled one read at a time; `request` stays in `_open` until they end. */
function _holding(body: ReadableStream<Uint8Array>, request: Request): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  _open.add(request);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let read: ReadableStreamReadResult<Uint8Array>;
        try {
          read = await reader.read();
        } catch (error) {
          _open.delete(request); // an errored body (a push writer's overflow) ends too
          throw error;
        }
        if (!read.done) return controller.enqueue(read.value);
        _open.delete(request);
        controller.close();
      },
      cancel(reason) {
        _open.delete(request);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
