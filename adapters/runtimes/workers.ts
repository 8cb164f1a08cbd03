/**
 * ssekit on Cloudflare Workers (workerd): streams flow at once, but workerd
 * tells a worker that its client left only through `request.signal`, and only
 * with the `enable_request_signal` compatibility flag; it never cancels the
 * body. Without the flag a stream's source stays parked when its client
 * leaves, and its `finally` and `onClose` never run. This adapter detects the
 * flag and says so once, clearly.
 *
 * @module
 */
import { isEventStreamType } from '../../src/wire/content-type.ts';

/**
 * The `ctx` workerd passes to a module worker's `fetch`.
 *
 * @example
 * ```ts
 * defineWorker((request, env, ctx: WorkerContext) => {
 *   ctx.waitUntil(log(request));
 *   return sseResponse(['hi'], { request });
 * });
 * ```
 */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException?(): void;
}

/**
 * A module worker's `fetch`.
 *
 * @example
 * ```ts
 * const fetch: WorkerHandler<{ TOKEN: string }> = (request, env) =>
 *   sseResponse([env.TOKEN ? 'ready' : 'no token'], { request });
 * ```
 */
export type WorkerHandler<Env = unknown> = (
  request: Request,
  env: Env,
  ctx: WorkerContext,
) => Response | Promise<Response>;

// workerd's global; `compatibilityFlags` lists the flags in effect.
declare const Cloudflare: { compatibilityFlags?: Record<string, boolean> } | undefined;

let warned = false;

/**
 * Wraps a module worker's `fetch`. A worker deployed without the
 * `enable_request_signal` compatibility flag logs one warning at its first
 * event stream: without the flag workerd never reports a client that left.
 *
 * When the client leaves, workerd ends the invocation as soon as nothing is
 * registered with `ctx.waitUntil`: a source's `finally` runs, but what it
 * awaits is cut short unless it is handed to `ctx.waitUntil`.
 *
 * @example
 * ```ts
 * // wrangler.toml: compatibility_flags = ["enable_request_signal"]
 * import { sseResponse } from 'ssekit';
 * import { defineWorker } from 'ssekit/workers';
 *
 * export default defineWorker((request, env, ctx) =>
 *   sseResponse(async function* ({ signal }) {
 *     try {
 *       yield* updates(signal);
 *     } finally {
 *       ctx.waitUntil(saveCursor()); // async cleanup outlives the request
 *     }
 *   }, { request }),
 * );
 * ```
 */
export function defineWorker<Env = unknown>(
  handler: WorkerHandler<Env>,
): { fetch: WorkerHandler<Env> } {
  return {
    async fetch(request, env, ctx) {
      const response = await handler(request, env, ctx);
      if (
        !warned &&
        hasRequestSignal() === false &&
        isEventStreamType(response.headers.get('content-type'))
      ) {
        warned = true;
        console.warn(
          'ssekit/workers: the enable_request_signal compatibility flag is off, so no client that leaves is seen: its stream\'s finally and onClose never run. Add compatibility_flags = ["enable_request_signal"] to wrangler.toml.',
        );
      }
      return response;
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
