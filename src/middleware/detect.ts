import { isEventStreamType } from '../wire/content-type.ts';

/**
 * Anything that carries response headers: a `Response`, or its `Headers`.
 *
 * @example
 * ```ts
 * const checked: HasHeaders[] = [response, response.headers];
 * ```
 */
export type HasHeaders = Response | Headers | { headers: Headers };

/**
 * Tells an event stream from other responses by its `content-type`, the one
 * thing every SSE server sets, whatever made the response (ssekit, another
 * library, an upstream `fetch`). Middleware that buffers, compresses or
 * rewrites bodies calls it to let event streams through untouched.
 *
 * @example
 * ```ts
 * const timing: Middleware = async (request, next) => {
 *   const response = await next();
 *   if (isEventStream(response)) return response; // endless: nothing to time
 *   response.headers.set('server-timing', `total;dur=${performance.now() - start}`);
 *   return response;
 * };
 * ```
 */
export function isEventStream(response: HasHeaders): boolean {
  const headers = response instanceof Headers ? response : response.headers;
  return isEventStreamType(headers.get('content-type'));
}
