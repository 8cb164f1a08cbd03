import { need } from '../checks.ts';
import { isResponse } from '../client/body.ts';
import { SSEParserStream } from '../client/parser-stream.ts';
import { encodeMessage } from '../wire/encode.ts';
import { encodedBytes } from '../wire/encoded.ts';
import type { SSEItem } from '../wire/message.ts';

/**
 * What a resumable stream is produced from: messages (an async or sync
 * iterable of what `sseResponse` takes), or SSE text (a `ReadableStream` of
 * bytes or strings, or a `Response`, as an AI SDK's
 * `createUIMessageStreamResponse` or a model provider's upstream gives
 * it), or a function of the stop signal that returns one of them.
 *
 * @example
 * ```ts
 * const source: StreamSource = async function* ({ signal }) {
 *   for await (const token of model.generate(prompt, { signal })) yield { data: { token } };
 * };
 * ```
 */
export type StreamSource =
  | StreamSourceValue
  | ((context: { signal: AbortSignal }) => StreamSourceValue | Promise<StreamSourceValue>);

/**
 * What a {@link StreamSource} function returns, or a source itself.
 *
 * @example
 * ```ts
 * const upstream: StreamSourceValue = await fetch(providerUrl, { method: 'POST', body }); // SSE text
 * ```
 */
export type StreamSourceValue =
  | AsyncIterable<SSEItem<any>>
  | Iterable<SSEItem<any>>
  | ReadableStream<Uint8Array | string>
  | Response;

/** @internal The bodies a source gives, as a pull iterator (one message each, without `id`). */
export interface BodyIterator {
  next(): Promise<IteratorResult<string>>;
  return(): Promise<unknown>;
}

/** @internal `value` checked as a {@link StreamSource}, or an `SSEOptionError`. */
export function checkSource(what: string, value: unknown): void {
  need(
    typeof value === 'function' || sourceKind(value) !== undefined,
    what,
    'an async iterable of messages, a ReadableStream or Response of SSE text, or a function returning one',
    value,
  );
}

function sourceKind(value: unknown): 'text' | 'messages' | undefined {
  if (isResponse(value) || value instanceof ReadableStream) return 'text';
  if (typeof value === 'object' && value !== null) {
    if (Symbol.asyncIterator in value || Symbol.iterator in value) return 'messages';
  }
  return undefined;
}

/**
 * @internal The bodies of `value`: SSE text is parsed (every event's type
 * and data kept, its id dropped: the store gives its own), messages are
 * encoded without their id.
 */
export function bodiesOf(value: StreamSourceValue): BodyIterator {
  const kind = sourceKind(value);
  need(kind !== undefined, 'the source function', 'to return a source', value);
  if (kind === 'text') {
    const body = isResponse(value) ? value.body : (value as ReadableStream<Uint8Array | string>);
    if (!body)
      return { next: async () => ({ done: true, value: undefined }), return: async () => {} };
    const reader = body.pipeThrough(new SSEParserStream()).getReader();
    return {
      async next() {
        const read = await reader.read();
        if (read.done) return { done: true, value: undefined };
        const { event, data } = read.value;
        return {
          done: false,
          value: encodeMessage({ event: event === 'message' ? undefined : event, data }),
        };
      },
      return: () => reader.cancel(),
    };
  }
  const iterator: Iterator<SSEItem<any>> | AsyncIterator<SSEItem<any>> =
    Symbol.asyncIterator in (value as object)
      ? (value as AsyncIterable<SSEItem<any>>)[Symbol.asyncIterator]()
      : (value as Iterable<SSEItem<any>>)[Symbol.iterator]();
  return {
    async next() {
      const read = await iterator.next();
      return read.done
        ? { done: true, value: undefined }
        : { done: false, value: bodyOf(read.value) };
    },
    return: async () => iterator.return?.(),
  };
}

/** @internal Lets go of a source that will not be read: a stream is cancelled, an iterator returned. */
export function cancelSource(source: unknown): void {
  if (source instanceof ReadableStream) source.cancel().catch(() => {});
  else if (isResponse(source)) source.body?.cancel().catch(() => {});
  else if (typeof source === 'object' && source !== null) {
    try {
      const iterator =
        Symbol.asyncIterator in source
          ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
          : Symbol.iterator in source
            ? (source as Iterable<unknown>)[Symbol.iterator]()
            : undefined;
      Promise.resolve(iterator?.return?.()).catch(() => {});
    } catch {} // an iterable that throws when asked: nothing to let go of
  }
}

// One message's wire text without an `id` line: the store's ids are the
// only ones a client sees, so that a resume is always from one of them.
function bodyOf(item: SSEItem<any>): string {
  if (encodedBytes(item)) return encodeMessage(item).replace(/^id:.*\n/m, '');
  if (typeof item === 'object' && item !== null && 'id' in item) {
    return encodeMessage({ ...item, id: undefined });
  }
  return encodeMessage(item);
}
