/**
 * ssekit on Deno: `Deno.serve` streams well and cancels the body of a client
 * that leaves, but it also aborts `request.signal` after every normal finish
 * (and, since 2.x, warns once that signal is read), so code that listens to
 * it cannot tell "the client left" from "we were done". This adapter hands
 * the handler a request whose signal aborts when the client of an event
 * stream leaves, and never after a normal end.
 *
 * @module
 */
import { watchStreamEnd } from './common/stream-end.ts';

/**
 * A fetch handler, as `Deno.serve` calls it (`info` is Deno's `ServeHandlerInfo`).
 *
 * @example
 * ```ts
 * const app: DenoHandler = (request) => sseResponse(['hi'], { request });
 * ```
 */
export type DenoHandler = (request: Request, info: unknown) => Response | Promise<Response>;

// Only what this file uses of the Deno namespace; no @types needed.
declare const Deno: {
  serve(options: Record<string, unknown>, handler: DenoHandler): DenoServer;
};

/**
 * What `Deno.serve` returns (the part of `Deno.HttpServer` used here).
 *
 * @example
 * ```ts
 * const server: DenoServer = serve(app, { port: 0 });
 * console.log(server.addr.port);
 * ```
 */
export interface DenoServer {
  readonly finished: Promise<void>;
  readonly addr: { hostname: string; port: number };
  shutdown(): Promise<void>;
}

/**
 * Options of {@link serve}: any `Deno.serve` option (`port`, `hostname`,
 * `signal`, `onListen`, `cert`...).
 *
 * @example
 * ```ts
 * serve(app, { port: 8000, onListen: ({ port }) => console.log(`on ${port}`) });
 * ```
 */
export type DenoServeOptions = Record<string, unknown> & {
  port?: number;
  hostname?: string;
  signal?: AbortSignal;
};

/**
 * Wraps a fetch handler for `Deno.serve`: the handler's `request.signal`
 * aborts when the client disconnects from an event stream, and not when the
 * stream has ended normally. Other responses pass through untouched.
 *
 * @example
 * ```ts
 * import { sseResponse } from 'ssekit';
 * import { toDenoHandler } from 'ssekit/deno';
 *
 * Deno.serve(toDenoHandler((request) => sseResponse(['hello'], { request })));
 * ```
 */
export function toDenoHandler(handler: DenoHandler): DenoHandler {
  return async (incoming, info) => {
    // Deno's own signal is never touched (`new Request(incoming)` would copy
    // it): it also aborts after a normal end, and Deno warns about that once
    // it has been read. A cancelled body is the one sure sign the client left.
    const disconnect = new AbortController();
    const request = new Request(incoming.url, {
      method: incoming.method,
      headers: incoming.headers,
      body: incoming.body,
      signal: disconnect.signal,
      duplex: 'half',
    } as RequestInit);
    const response = await handler(request, info);
    return watchStreamEnd(response, (cancelled) => cancelled && disconnect.abort());
  };
}

/**
 * `Deno.serve` with {@link toDenoHandler}. Takes the same options
 * (`port: 0` for a free port) and returns Deno's server.
 *
 * @example
 * ```ts
 * import { serve } from 'ssekit/deno';
 * const server = serve(app, { port: 8000 });
 * // later: await server.shutdown();
 * ```
 */
export function serve(handler: DenoHandler, options: DenoServeOptions = {}): DenoServer {
  return Deno.serve(options, toDenoHandler(handler));
}
