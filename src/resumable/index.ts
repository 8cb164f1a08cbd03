/**
 * ssekit/resumable: streams that outlive their request. A model's answer is
 * started once, kept as a log whose last entry is its end, and read by any
 * number of clients on any instance: after a reload, on a second device,
 * from the start or after `Last-Event-ID`; stopped from anywhere. The store
 * is memory here, Redis in `ssekit/redis`, a Durable Object in
 * `ssekit/durable-objects`; a store of your own implements `StreamStore`.
 *
 * @module
 */

export { SSEError, SSEOptionError } from '../errors.ts';
export {
  createMemoryStreamStore,
  type MemoryStreamStoreOptions,
  StreamStoreFullError,
} from './memory-stream-store.ts';
export {
  createResumableStreams,
  type ResumableStreams,
  type ResumableStreamsOptions,
  type ResumeInit,
  type StartInit,
} from './resumable-streams.ts';
export { isStreamId } from './stream-id.ts';
export type { StreamSource, StreamSourceValue } from './stream-source.ts';
export type {
  AppendResult,
  StreamEnd,
  StreamEntry,
  StreamPage,
  StreamState,
  StreamStore,
  StreamTerms,
  StreamWatcher,
} from './stream-store.ts';
