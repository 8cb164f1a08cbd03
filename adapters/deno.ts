/**
 * ssekit on Deno: `Deno.serve` streams well and reports a client that leaves,
 * but it also aborts `request.signal` after every normal finish, so code that
 * listens to it cannot tell "the client left" from "we were done". This
 * adapter hands the handler a request whose signal aborts on a disconnect
 * only.
 *
 * @module
 */

/** A fetch handler, as `Deno.serve` calls it. */
export type DenoHandler = (request: Request, info: unknown) => Response | Promise<Response>;

// Only what this file uses of the Deno namespace; no @types needed.
declare const Deno: {
  serve(options: Record<string, unknown>, handler: DenoHandler): DenoServer;
};

/** What `Deno.serve` returns. */
export interface DenoServer {
  readonly finished: Promise<void>;
  readonly addr: { hostname: string; port: number };
  shutdown(): Promise<void>;
}

/** Options of {@link serve}: any `Deno.serve` option (`port`, `hostname`, `signal`, `onListen`, `cert`...). */
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
    const disconnect = new AbortController();
    let finished = false;
    const onAbort = () => finished || disconnect.abort(incoming.signal.reason);
    incoming.signal.addEventListener('abort', onAbort, { once: true });
    const request = new Request(incoming, { signal: disconnect.signal });
    let response: Response;
    try {
      response = await handler(request, info);
    } catch (error) {
      finished = true;
      throw error;
    }
    const eventStream = /^text\/event-stream/i.test(response.headers.get('content-type') ?? '');
    if (!eventStream || !response.body) {
      finished = true; // nothing left that a disconnect could interrupt
      return response;
    }
    const body = _onEnd(response.body, () => (finished = true));
    return new Response(body, response);
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

/**
 * The same bytes, pulled one read at a time, with a call when the source
 * ends: before Deno sees the end, so before it aborts the signal.
 */
function _onEnd(body: ReadableStream<Uint8Array>, onEnd: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        onEnd();
        controller.close();
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
