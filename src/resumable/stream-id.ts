import { need } from '../checks.ts';

// What a stream id may be: it becomes part of a storage key (a Redis key, a
// Durable Object's name) and of URLs, so only characters that mean nothing
// there, and not too many of them.
const STREAM_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/**
 * True when `id` can name a resumable stream: 1 to 128 characters of
 * `A-Z a-z 0-9 . _ ~ -` (a UUID, a nanoid, `chat-42.answer-7`). Check an id
 * that came from a request with it before anything else; the stores and
 * `createResumableStreams` refuse any other with an `SSEOptionError`.
 *
 * @example
 * ```ts
 * if (!isStreamId(params.id)) return new Response('bad id', { status: 400 });
 * ```
 */
export function isStreamId(id: unknown): id is string {
  return typeof id === 'string' && STREAM_ID.test(id);
}

/** @internal A stream id, or an `SSEOptionError` naming `what`. */
export function needStreamId(what: string, id: unknown): asserts id is string {
  need(
    isStreamId(id),
    what,
    'a stream id of 1 to 128 characters A-Z a-z 0-9 . _ ~ -',
    id,
    'Use a random id such as crypto.randomUUID(), and check ids from requests with isStreamId().',
  );
}
