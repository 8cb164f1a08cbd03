/**
 * ssekit: server-sent events on web standards.
 *
 * The server core: `sseResponse`, the push writer, the encoder and its
 * stream, and the error classes. Readers live in `ssekit/client`, fan-out in
 * `ssekit/hub`, runtime adapters in `ssekit/node`, `ssekit/deno`,
 * `ssekit/bun` and `ssekit/workers`.
 *
 * @module
 */
export { SSEError, SSEFieldError, SSEOptionError, SSESerializeError } from './errors.ts';
export type { MessageData, SSEContext, SSESource, SSEWriter } from './server/context.ts';
export { SSEEncoderStream } from './server/encoder-stream.ts';
export { type EveryOptions, every } from './server/every.ts';
export { type LastEventIdOptions, lastEventIdFrom } from './server/last-event-id.ts';
export { createEventStream, sseResponse } from './server/response.ts';
export type {
  CloseInfo,
  CloseReason,
  OverflowAction,
  OverflowInfo,
  OverflowPolicy,
  SSEResponseInit,
} from './server/response-options.ts';
export { abortable, sleep } from './signal.ts';
export { type EncodeOptions, encodeComment, encodeMessage, preEncode } from './wire/encode.ts';
export { EncodedMessage } from './wire/encoded.ts';
export type {
  ControlMessage,
  EventMap,
  MessageFields,
  Serialize,
  SSEItem,
  SSEMessage,
  UntypedMessage,
} from './wire/message.ts';
