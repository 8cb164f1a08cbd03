/**
 * ssekit on Cloudflare Workers (workerd): streams flow at once, but workerd
 * tells a worker that its client left only through `request.signal`, and only
 * with the `enable_request_signal` compatibility flag; it never cancels the
 * body. Without the flag a stream's `onClose` and `finally` wait for the
 * next write to fail, or never run. This adapter says so once, and keeps the
 * invocation alive (`ctx.waitUntil`) until the stream has closed, so cleanup
 * that runs after the client left is not cut short.
 *
 * @module
 */

/** The `ctx` workerd passes to a module worker's `fetch`. */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException?(): void;
}

/** A module worker's `fetch`. */
export type WorkerHandler<Env = unknown> = (
  request: Request,
  env: Env,
  ctx: WorkerContext,
) => Response | Promise<Response>;

// workerd's global; `compatibilityFlags` lists the flags in effect.
declare const Cloudflare: { compatibilityFlags?: Record<string, boolean> } | undefined;

let _warned = false;

/**
 * Wraps a module worker's `fetch`. Event streams keep the invocation alive
 * until they close (`ctx.waitUntil`), and a worker deployed without the
 * `enable_request_signal` compatibility flag logs one warning: without it
 * workerd never reports a client that disconnected.
 *
 * @example
 * ```ts
 * // wrangler.toml: compatibility_flags = ["enable_request_signal"]
 * import { sseResponse } from 'ssekit';
 * import { defineWorker } from 'ssekit/workers';
 *
 * export default defineWorker((request) => sseResponse(['hello'], { request }));
 * ```
 */
export function defineWorker<Env = unknown>(
  handler: WorkerHandler<Env>,
): { fetch: WorkerHandler<Env> } {
  return {
    async fetch(request, env, ctx) {
      const response = await handler(request, env, ctx);
      const eventStream = /^text\/event-stream/i.test(response.headers.get('content-type') ?? '');
      if (!eventStream || !response.body) return response;
      if (!_warned && hasRequestSignal() === false) {
        _warned = true;
        console.warn(
          'ssekit/workers: the enable_request_signal compatibility flag is off, so workerd does not report clients that disconnect: streams, their onClose and their finally run on until a write fails. Add compatibility_flags = ["enable_request_signal"] to wrangler.toml.',
        );
      }
      let closed!: () => void;
      ctx.waitUntil(new Promise<void>((resolve) => (closed = resolve)));
      request.signal.addEventListener('abort', () => closed(), { once: true });
      return new Response(
        _onClose(response.body, () => closed()),
        response,
      );
    },
  };
}

/**
 * Whether this worker runs with `enable_request_signal`: `true` or `false`
 * on a workerd that lists its flags, `undefined` where that cannot be told.
 *
 * @example
 * ```ts
 * if (hasRequestSignal() === false) console.warn('disconnects go unnoticed');
 * ```
 */
export function hasRequestSignal(): boolean | undefined {
  const flags = typeof Cloudflare === 'object' ? Cloudflare?.compatibilityFlags : undefined;
  return flags ? flags.enable_request_signal === true : undefined;
}

/** The same bytes, pulled one read at a time, with a call when they end or are cancelled. */
function _onClose(
  body: ReadableStream<Uint8Array>,
  onClose: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        onClose();
        controller.close();
      },
      cancel(reason) {
        onClose();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
