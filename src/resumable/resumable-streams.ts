import {
  isDelay,
  isObject,
  need,
  needCount,
  needDelay,
  needFunction,
  timeoutOption,
} from '../checks.ts';
import { lastEventIdFrom } from '../server/last-event-id.ts';
import { sseResponse } from '../server/response.ts';
import type { SSEResponseInit } from '../server/response-options.ts';
import type { SSEItem } from '../wire/message.ts';
import { type FollowPlan, follow, PAGE } from './follower.ts';
import { produce } from './producer.ts';
import { needStreamId } from './stream-id.ts';
import { cancelSource, checkSource, type StreamSource } from './stream-source.ts';
import type { StreamEnd, StreamState, StreamStore, StreamTerms } from './stream-store.ts';

/**
 * Options of {@link createResumableStreams}.
 *
 * @example
 * ```ts
 * createResumableStreams({ store, lease: 10_000, retention: 60 * 60_000, maxBytes: 8 << 20 });
 * ```
 */
export interface ResumableStreamsOptions {
  /** Where streams are kept: `createMemoryStreamStore()`, `createRedisStreamStore()` (`ssekit/redis`), or a Durable Object's (`ssekit/durable-objects`). */
  store: StreamStore;
  /**
   * Milliseconds a producer holds its stream without writing, 100 at
   * least: it renews every third of it while its source is quiet. A producer gone longer
   * (its process killed) ends its stream `errored`, `producer-lost`;
   * readers see that within `lease` + `poll`. Default 15,000.
   */
  lease?: number;
  /** Milliseconds a stream is kept after its end, for late resumes. Default 24 hours. */
  retention?: number;
  /** Bytes one stream holds at most: past it the stream ends `errored`, `too-large`. Default 4 MiB. */
  maxBytes?: number;
  /** Milliseconds a reader waits for the store's notice before it reads again anyway. Default 1000. */
  poll?: number;
  /**
   * Milliseconds a source may be silent (no chunk) before its stream ends
   * `errored`, `producer-idle`, and its signal aborts: a hung upstream does
   * not hold readers forever. `false` for no limit. Default 10 minutes.
   */
  idleTimeout?: number | false;
  /**
   * The messages a reader gets after a stream's end entry, before the
   * response closes: to tell a client that the answer was stopped or
   * failed. Default: none (a `done` stream closes after its last chunk, as
   * the AI SDK's client expects).
   */
  endMessages?: (end: StreamEnd) => readonly SSEItem<any>[] | undefined;
  /** Told what a producer threw, with the stream's id. It never reaches a client. Default `console.error`. */
  onError?: (error: unknown, id: string) => void;
}

/**
 * How a start or a resume answers. The options of `sseResponse` (the
 * request, headers, heartbeat), and for a resume where to begin.
 *
 * @example
 * ```ts
 * await streams.resume(id, { request, from: 'start', headers: { 'x-vercel-ai-ui-message-stream': 'v1' } });
 * ```
 */
export interface ResumeInit extends Omit<SSEResponseInit, 'onError' | 'overflow'> {
  /**
   * `'start'`: the whole stream (what the AI SDK's client expects: it
   * rebuilds the message). `'last-event-id'` (the default): after the
   * request's `Last-Event-ID` when it has one (`EventSource`, `connect`),
   * else from the start.
   */
  from?: 'start' | 'last-event-id';
  /**
   * The response for an id with nothing to resume: unknown, expired, a
   * `Last-Event-ID` not of this stream, or ended with nothing after the
   * cursor. Default: 204, which the AI SDK's client reads as "no active
   * stream" and `EventSource` as "stop reconnecting".
   */
  missing?: () => Response;
}

/**
 * How a start answers: as a resume from the start, and with `waitUntil` for
 * platforms that end work when the response does (Workers: `ctx.waitUntil`).
 *
 * @example
 * ```ts
 * await streams.start(id, source, { request, waitUntil: (promise) => ctx.waitUntil(promise) });
 * ```
 */
export interface StartInit extends Omit<ResumeInit, 'from'> {
  /** Given the promise of the producer's run, which settles when the stream has ended. */
  waitUntil?: (promise: Promise<void>) => void;
}

/**
 * Resumable streams on one store: start, resume, stop and status by id.
 *
 * @example
 * ```ts
 * const streams = createResumableStreams({ store: createMemoryStreamStore() });
 * ```
 */
export interface ResumableStreams {
  /**
   * Starts stream `id` from `source` and answers with a reader from its
   * start. The source runs to its end whether or not anyone reads; each
   * chunk is stored before any reader sees it. An id already started (on
   * any instance) is not started twice: the answer reads the running (or
   * ended) stream, after the request's `Last-Event-ID` when it has one,
   * and `source` is cancelled unread.
   */
  start(id: string, source: StreamSource, init?: StartInit): Promise<Response>;
  /** A reader of stream `id`: replay, then live, closing at its end. */
  resume(id: string, init?: ResumeInit): Promise<Response>;
  /** Ends stream `id` as `stopped`: its producer's signal aborts, every reader closes. `false` when it was not active. */
  stop(id: string): Promise<boolean>;
  /** Where stream `id` is: `active`, `done`, `stopped`, `errored` or `unknown`. */
  status(id: string): Promise<StreamState>;
}

/**
 * Streams that outlive their request: a model's answer that a reload, a
 * second device or another instance resumes, from a store that keeps each
 * stream as a log with its end as the last entry. See the README's
 * "Resumable answers".
 *
 * @example
 * ```ts
 * const streams = createResumableStreams({ store: createMemoryStreamStore() });
 * // POST /chat: start the answer
 * const response = await streams.start(chatId, async function* ({ signal }) {
 *   for await (const token of model(prompt, signal)) yield { data: token };
 * }, { request });
 * // GET /chat/:id/stream: resume it
 * const resumed = await streams.resume(chatId, { request });
 * ```
 */
export function createResumableStreams(options: ResumableStreamsOptions): ResumableStreams {
  need(isObject(options), 'createResumableStreams(options)', 'an object', options);
  const {
    store,
    lease = 15_000,
    retention = 24 * 60 * 60_000,
    maxBytes = 4 * 1024 * 1024,
    poll = 1000,
    idleTimeout: idle,
    endMessages = () => undefined,
    onError = (error: unknown, id: string) => console.error(`ssekit: stream ${id}:`, error),
  } = options;
  need(
    isObject(store) && typeof store.claim === 'function' && typeof store.read === 'function',
    'store',
    'a StreamStore',
    store,
    'Pass createMemoryStreamStore() or a store of ssekit/redis or ssekit/durable-objects.',
  );
  need(
    isDelay(lease) && lease >= 100,
    'lease',
    'a number of milliseconds from 100 to 2147483647',
    lease,
    'A producer renews every third of it: give it room.',
  );
  need(
    typeof retention === 'number' && retention > 0 && retention < Number.POSITIVE_INFINITY,
    'retention',
    'a number of milliseconds above 0',
    retention,
  );
  const idleTimeout = timeoutOption('idleTimeout', idle, 10 * 60_000);
  needCount('maxBytes', maxBytes);
  needDelay('poll', poll);
  needFunction('endMessages', endMessages);
  needFunction('onError', onError);
  const terms: StreamTerms = { lease, maxBytes, retention };

  const resume = async (id: string, init: ResumeInit = {}): Promise<Response> => {
    needStreamId('resume(id)', id);
    const { from = 'last-event-id', missing, ...rest } = init;
    need(from === 'start' || from === 'last-event-id', 'from', "'start' or 'last-event-id'", from);
    if (missing !== undefined) needFunction('missing', missing);
    const cursor =
      from === 'start' || !rest.request
        ? undefined
        : lastEventIdFrom(rest.request, { queryParam: rest.lastEventIdParam });
    const first = await store.read(id, cursor, PAGE);
    const ending = first.end ? (endMessages(first.end) ?? []) : [];
    if (
      first.state === 'unknown' ||
      (first.entries.length === 0 && first.end && ending.length === 0)
    ) {
      return missing ? missing() : new Response(null, { status: 204 });
    }
    const plan: FollowPlan = {
      store,
      id,
      first,
      cursor,
      poll,
      patience: Math.max(2 * lease, 1000),
      endMessages: (end) => endMessages(end) ?? [],
      onError: (error) => onError(error, id),
    };
    return sseResponse(({ signal }) => follow(plan, signal), rest);
  };

  return {
    async start(id, source, init = {}) {
      needStreamId('start(id)', id);
      checkSource('start(source)', source);
      const { waitUntil, ...rest } = init;
      if (waitUntil !== undefined) needFunction('waitUntil', waitUntil);
      let token: string | undefined;
      try {
        token = await store.claim(id, terms);
      } catch (error) {
        cancelSource(source);
        throw error;
      }
      if (token === undefined) {
        // Joined: a client that reconnects to the route that started the
        // stream (an EventSource) gets what came after its Last-Event-ID.
        cancelSource(source);
        return resume(id, rest);
      }
      const run = produce(
        { store, id, token, terms, idleTimeout, onError: (error) => onError(error, id) },
        source,
      );
      waitUntil?.(run);
      return resume(id, { ...rest, from: 'start' });
    },
    resume,
    async stop(id) {
      needStreamId('stop(id)', id);
      return store.end(id, undefined, { state: 'stopped' }, terms);
    },
    async status(id) {
      needStreamId('status(id)', id);
      return store.status(id);
    },
  };
}
