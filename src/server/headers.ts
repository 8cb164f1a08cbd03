import { need } from '../checks.ts';
import { SSEOptionError } from '../errors.ts';
import { EVENT_STREAM_TYPE } from '../wire/content-type.ts';

/**
 * @internal Connection-specific headers (RFC 9110, section 7.6.1): they
 * describe one hop, not the response, and HTTP/2 forbids them (Node's http2
 * throws on some, Safari drops the stream on others). `sseResponse` refuses
 * them, the Node adapter drops them under HTTP/2, and `transformEvents` does
 * not relay the upstream's.
 */
export const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'upgrade',
];

/** @internal The response headers: the event-stream defaults, then the caller's. */
export function responseHeaders(extra: HeadersInit | undefined): Headers {
  const headers = new Headers({
    'content-type': EVENT_STREAM_TYPE,
    // no-transform: proxies and CDNs must not compress or rewrite the stream.
    'cache-control': 'no-cache, no-transform',
    // nginx buffers proxied responses unless told not to.
    'x-accel-buffering': 'no',
  });
  if (extra === undefined) return headers;
  let given: Headers;
  try {
    given = new Headers(extra);
  } catch (cause) {
    throw new SSEOptionError(`headers: ${(cause as Error).message}`, { cause });
  }
  for (const [name, value] of given) {
    need(
      !HOP_BY_HOP.includes(name),
      'headers',
      'no hop-by-hop header',
      name,
      'Remove it: HTTP/2 forbids it.',
    );
    headers.set(name, value);
  }
  return headers;
}
