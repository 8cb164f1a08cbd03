/**
 * ssekit/middleware: event streams through any middleware stack.
 *
 * Event transforms (`filterEvents`, `mapEvents`, `injectHeartbeat`) are
 * `TransformStream`s of messages that sit before the encoder;
 * `transformEvents` applies them to an existing SSE response (a relay or
 * gateway). `compose` chains fetch middleware `(request, next) => Response`;
 * `compress` and `etag` let event streams through untouched, and
 * `isEventStream` lets any other middleware do the same.
 *
 * @module
 */
export { compose, type FetchHandler, type Middleware } from './compose.ts';
export { type CompressOptions, compress } from './compress.ts';
export { type Compressor, type ContentEncoding, webCompressor } from './compressor.ts';
export { type HasHeaders, isEventStream } from './detect.ts';
export { type ETagOptions, etag } from './etag.ts';
export {
  filterEvents,
  type HeartbeatOptions,
  injectHeartbeat,
  mapEvents,
} from './message-transforms.ts';
export {
  type EventTransform,
  type TransformEventsInit,
  transformEvents,
} from './relay.ts';
