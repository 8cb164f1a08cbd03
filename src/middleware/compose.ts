import { needFunction } from '../checks.ts';

/**
 * A fetch handler, what Workers, Deno's and Bun's `serve`, and
 * `ssekit/node` call: a request in, a response out.
 *
 * @example
 * ```ts
 * const handler: FetchHandler = (request) => sseResponse(['hello'], { request });
 * ```
 */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/**
 * A fetch middleware: it gets the request and `next`, which runs the rest of
 * the chain (optionally with a replaced request), and returns a response,
 * usually the one `next` produced, checked or rewritten.
 *
 * @example
 * ```ts
 * const poweredBy: Middleware = async (request, next) => {
 *   const response = await next();
 *   response.headers.set('x-powered-by', 'ssekit');
 *   return response;
 * };
 * ```
 */
export type Middleware = (
  request: Request,
  next: (request?: Request) => Promise<Response>,
) => Response | Promise<Response>;

/**
 * Chains middleware around a handler. The first middleware is the outermost:
 * it sees the request first and the response last, so
 * `compose(compress(), etag())` hashes the plain body, then compresses it.
 * `next()` may be called with a new `Request` to replace the one passed on;
 * calling it again runs the rest of the chain again (a retry).
 *
 * @example
 * ```ts
 * const app = compose(compress(), etag())((request) =>
 *   new URL(request.url).pathname === '/events'
 *     ? sseResponse(ticks, { request })
 *     : Response.json({ ok: true }),
 * );
 * // Workers: export default { fetch: app }; Node: serve(app)
 * ```
 */
export function compose(
  ...middleware: Middleware[]
): (handler: FetchHandler) => (request: Request) => Promise<Response> {
  middleware.forEach((item, index) => {
    needFunction(`compose: middleware ${index}`, item, 'Pass (request, next) => Response.');
  });
  return (handler) => {
    needFunction('compose(...)(handler)', handler, 'Pass (request) => Response.');
    const run = async (index: number, request: Request): Promise<Response> => {
      const current = middleware[index];
      if (current === undefined) return handler(request);
      return current(request, (replaced) => run(index + 1, replaced ?? request));
    };
    return (request) => run(0, request);
  };
}
