import { describe, isObject, refuse } from '../checks.ts';

type Body = ReadableStream<Uint8Array>;

/**
 * @internal Whether `value` is a `Response` (or a `Request`): judged by its
 * shape, so that one from another realm or another fetch (undici's own, a
 * polyfill) counts too.
 */
export function isResponse(value: unknown): value is Response {
  return isObject(value) && 'bodyUsed' in value && (value.body === null || isStream(value.body));
}

/**
 * @internal The body a reader reads: a Response's (`null` when it has none:
 * a stream with no events) or the stream itself, unread and unlocked; an
 * `SSEOptionError` for anything else, which says what to pass. A body is
 * read once: one already read, or held by a reader, would otherwise fail
 * deep inside, or be retried as a network error.
 */
export function bodyOf(input: unknown, what: string): Body | null {
  const body = isStream(input) ? input : isResponse(input) ? input.body : undefined;
  if (body === undefined) {
    refuse(
      what,
      'a Response or its body',
      describe(input),
      'Pass await fetch(url) or its body; for text, new Response(text).',
    );
  }
  const used = (input as Response).bodyUsed ? 'a used one' : body?.locked && 'a locked one';
  if (used) {
    refuse(
      what,
      'a body not yet read',
      used,
      'A body is read once: make a new one for each reader.',
    );
  }
  return body;
}

function isStream(value: unknown): value is Body {
  return typeof (value as Body | undefined)?.getReader === 'function';
}
