import { type EncodeOptions, encodeMessage } from '../wire/encode.ts';
import { encodedBytes } from '../wire/encoded.ts';
import type { EventMap, SSEItem } from '../wire/message.ts';

const encoder = new TextEncoder();

/**
 * A `TransformStream` from messages (or strings, sent as `data`) to the bytes
 * of an event stream, one chunk per message. Pipe any `ReadableStream` of
 * messages through it into a response body or through middleware. An invalid
 * message errors the stream with `SSEFieldError`; nothing of it is written.
 *
 * @example
 * ```ts
 * const body = messages.pipeThrough(new SSEEncoderStream());
 * return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
 * ```
 */
export class SSEEncoderStream<Events extends EventMap = EventMap> extends TransformStream<
  SSEItem<Events>,
  Uint8Array
> {
  constructor(options: EncodeOptions = {}) {
    super({
      transform(message, controller) {
        controller.enqueue(
          encodedBytes(message) ?? encoder.encode(encodeMessage(message, options)),
        );
      },
    });
  }
}
