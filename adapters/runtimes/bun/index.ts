/**
 * ssekit on Bun: `Bun.serve` closes any connection that is idle for 10 s
 * (`idleTimeout`), an event stream between two events included. This adapter
 * lifts that limit for event streams only, with `server.timeout(request, 0)`.
 * An ssekit stream takes the direct path into a Bun direct stream
 * (`bun-direct.ts`); any other event stream keeps its request referenced
 * until it ends, so its `signal` can still report the client leaving.
 *
 * @module
 */
import { directStream } from '../../../src/server/direct.ts';
import { watchStreamEnd } from '../common/stream-end.ts';
import { directBody } from './bun-direct.ts';

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
const open = new Set<Request>();

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
    // An ssekit stream is written into Bun's direct stream: no web stream of
    // ours is read, and Bun's `cancel` reports the client leaving.
    const direct = directStream(response);
    if (direct) {
      server.timeout(request, 0);
      return new Response(directBody(direct, response), response);
    }
    const watched = watchStreamEnd(response, () => open.delete(request));
    if (watched !== response) {
      server.timeout(request, 0);
      open.add(request);
    }
    return watched;
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
