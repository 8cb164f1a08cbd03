/** @internal The content type of every event stream ssekit sends. */
export const EVENT_STREAM_TYPE = 'text/event-stream; charset=utf-8';

// "text/event-stream" with any parameters (`; charset=utf-8`), in any case:
// media types are case-insensitive (RFC 9110, section 8.3.1). Parameters are
// ignored: the stream is always UTF-8.
const EVENT_STREAM = /^\s*text\/event-stream\s*(?:;|$)/i;

/**
 * @internal Whether a `Content-Type` value names `text/event-stream`: the
 * one test of the server, the client, the middleware and every adapter.
 */
export function isEventStreamType(contentType: string | null | undefined): boolean {
  return EVENT_STREAM.test(contentType ?? '');
}
