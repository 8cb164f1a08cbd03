import { need, needFunction } from '../checks.ts';
import { readWhole } from './body.ts';
import type { Middleware } from './compose.ts';
import { isEventStream } from './detect.ts';

/**
 * Options of {@link etag}.
 *
 * @example
 * ```ts
 * etag({ weak: true, maxBytes: 256 * 1024, digest: (body) => String(fastHash(body)) });
 * ```
 */
export interface ETagOptions {
  /** Send `W/"…"` tags: same meaning, not byte for byte. Default `false`. */
  weak?: boolean;
  /** Bodies longer than this are streamed without a tag instead of held to hash. Default 1 MiB. */
  maxBytes?: number;
  /** Hashes a complete body into the tag's text. Default: SHA-1 from `crypto.subtle`, base64. */
  digest?: (body: Uint8Array) => string | Promise<string>;
}

// RFC 9110, section 15.4.5: what a 304 keeps of the 200 it stands for.
const KEPT_ON_304 = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary'];

/**
 * ETag middleware for complete bodies only. A body that is all there (a
 * string, JSON, a buffer) is hashed into an `etag`, and a request whose
 * `If-None-Match` matches gets `304 Not Modified`. Event streams pass through
 * at once without a byte read, and so does any body still being produced:
 * the first read that has to wait means streaming, and what was read goes out
 * first, unchanged. (Hono's `etag()` instead hashes a clone of every body, so
 * an endless event stream never gets its headers sent.)
 *
 * @example
 * ```ts
 * const app = compose(compress(), etag())((request) =>
 *   request.url.endsWith('/events')
 *     ? sseResponse(ticks, { request }) // streams, untouched
 *     : Response.json(config), // etag: "…", 304 when unchanged
 * );
 * ```
 */
export function etag(options: ETagOptions = {}): Middleware {
  const { weak = false, maxBytes = 1024 * 1024, digest = sha1 } = options;
  need(
    Number.isSafeInteger(maxBytes) && maxBytes >= 0,
    'etag: maxBytes',
    'a whole number of bytes, 0 or more',
    maxBytes,
  );
  needFunction(
    'etag: digest',
    digest,
    'Pass (bytes) => Promise<string>, or leave it out for SHA-1.',
  );
  return async (request, next) => {
    const response = await next();
    if (
      (request.method !== 'GET' && request.method !== 'HEAD') ||
      response.status !== 200 ||
      isEventStream(response)
    ) {
      return response;
    }
    const given = response.headers.get('etag');
    if (given !== null || response.body === null) {
      return given !== null && matches(request, given) ? notModified(response, given) : response;
    }
    const length = response.headers.get('content-length');
    if (length !== null && Number(length) > maxBytes) return response;
    const read = await readWhole(response.body, { maxBytes, wait: length !== null });
    const init = { status: response.status, statusText: response.statusText };
    if ('stream' in read)
      return new Response(read.stream as BodyInit, { ...init, headers: response.headers });
    const hash = await digest(read.bytes);
    const tag = `${weak ? 'W/' : ''}"${hash}"`;
    const headers = new Headers(response.headers);
    headers.set('etag', tag);
    headers.set('content-length', String(read.bytes.byteLength));
    if (matches(request, tag)) return notModified(new Response(null, { headers }), tag);
    return new Response(read.bytes as BodyInit, { ...init, headers });
  };
}

// If-None-Match uses the weak comparison: W/"x" matches "x" (RFC 9110, 13.1.2).
function matches(request: Request, tag: string): boolean {
  const header = request.headers.get('if-none-match');
  if (header === null) return false;
  if (header.trim() === '*') return true;
  const opaque = tag.replace(/^W\//, '');
  return header.split(',').some((item) => item.trim().replace(/^W\//, '') === opaque);
}

function notModified(response: Response, tag: string): Response {
  response.body?.cancel().catch(() => {});
  const headers = new Headers({ etag: tag });
  for (const name of KEPT_ON_304) {
    const value = response.headers.get(name);
    if (value !== null && name !== 'etag') headers.set(name, value);
  }
  return new Response(null, { status: 304, statusText: 'Not Modified', headers });
}

async function sha1(body: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-1', body as BufferSource));
  let text = '';
  for (const byte of hash) text += String.fromCharCode(byte);
  return btoa(text).replace(/=+$/, '');
}
