/**
 * The Worker's side of resumable streams in Durable Objects: a `StreamStore`
 * whose every call goes over RPC to the object named after the stream's id.
 *
 * @module
 */
import { isObject, need, needDelay } from '../../../src/checks.ts';
import { SSEError } from '../../../src/errors.ts';
import type {
  AppendResult,
  StreamEnd,
  StreamPage,
  StreamState,
  StreamStore,
  StreamTerms,
} from '../../../src/resumable/index.ts';
import { needStreamId } from '../../../src/resumable/stream-id.ts';
import { sleep } from '../../../src/signal.ts';

/**
 * A call that changes nothing, tried up to three times (after 50 ms, then
 * 100 ms), each time on a new stub: one that threw may stay broken.
 */
async function again<T>(call: () => Promise<T>): Promise<T> {
  for (let pause = 50; ; pause *= 2) {
    try {
      return await call();
    } catch (error) {
      if (pause > 100 || error instanceof SSEError) throw error; // a refused id: at once
    }
    await sleep(pause);
  }
}

/**
 * The RPC methods of {@link SSEStreamObject} as a Worker calls them through
 * a stub.
 *
 * @example
 * ```ts
 * interface Env { STREAMS: StreamNamespaceLike }
 * ```
 */
export interface StreamObjectStubLike {
  claim(id: string, terms: StreamTerms): Promise<string | undefined>;
  append(
    id: string,
    token: string,
    at: number,
    bodies: readonly string[],
    terms: StreamTerms,
  ): Promise<AppendResult>;
  renew(id: string, token: string, terms: StreamTerms): Promise<boolean>;
  end(id: string, token: string | undefined, end: StreamEnd, terms: StreamTerms): Promise<boolean>;
  read(
    id: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<StreamPage & { more?: true }>;
  status(id: string): Promise<StreamState>;
  wait(id: string, version: string | undefined, ms: number): Promise<string>;
}

/**
 * The binding of an {@link SSEStreamObject} class (`env.STREAMS`), as much
 * as the store uses.
 *
 * @example
 * ```ts
 * const store = createDurableStreamStore(env.STREAMS as StreamNamespaceLike);
 * ```
 */
export interface StreamNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): StreamObjectStubLike;
}

/**
 * Options of {@link createDurableStreamStore}.
 *
 * @example
 * ```ts
 * createDurableStreamStore(env.STREAMS, { hold: 30_000 });
 * ```
 */
export interface DurableStreamStoreOptions {
  /**
   * Milliseconds a watch's call is held in the object before the Worker
   * asks again (at most 60,000). A change answers it at once. Default 20,000.
   */
  hold?: number;
}

/**
 * Resumable streams kept in Durable Objects, for `createResumableStreams`
 * in a Worker: one object per stream (named after its id, so each stream
 * has storage of its own), its chunks in the object's SQLite. Every
 * instance of every Worker reaches the same object for one id: a stream
 * started in one request is resumed, stopped or followed from any other.
 * A reader hears of a new chunk through a call held in the object (answered
 * at the append, a few ms), not by polling. An id is checked before any
 * object is named: a hostile one throws `SSEOptionError` and creates none.
 *
 * @example
 * ```ts
 * import { createResumableStreams } from 'ssekit/resumable';
 * import { createDurableStreamStore } from 'ssekit/durable-objects';
 *
 * const streams = createResumableStreams({ store: createDurableStreamStore(env.STREAMS) });
 * ```
 */
export function createDurableStreamStore(
  namespace: StreamNamespaceLike,
  options: DurableStreamStoreOptions = {},
): StreamStore {
  need(
    typeof namespace?.idFromName === 'function' && typeof namespace.get === 'function',
    'namespace',
    'the Durable Object namespace binding of an SSEStreamObject class, such as env.STREAMS',
    namespace,
    'Check durable_objects.bindings in wrangler.toml.',
  );
  need(isObject(options), 'createDurableStreamStore(namespace, options)', 'an object', options);
  const { hold = 20_000 } = options;
  needDelay('hold', hold);
  const wait = Math.min(hold, 60_000);
  // A stub per call: a stub is cheap, and one kept from another request
  // could not be used in this one.
  const object = (what: string, id: string) => {
    needStreamId(what, id);
    return namespace.get(namespace.idFromName(id) as never);
  };

  return {
    // async: a refused id rejects, as every other failure of a store does.
    claim: async (id, terms) => object('claim(id)', id).claim(id, terms),
    append: async (id, token, at, bodies, terms) =>
      object('append(id)', id).append(id, token, at, bodies, terms),
    renew: async (id, token, terms) => object('renew(id)', id).renew(id, token, terms),
    end: async (id, token, end, terms) => object('end(id)', id).end(id, token, end, terms),
    // An RPC value is bounded (32 MiB): the object cuts a page at 8 MiB of
    // bodies, and the rest of what was asked comes in more calls.
    // Reads are tried up to three times: a call can fail on its way (the
    // object reset by a deploy, a lost connection), and a reader whose read
    // failed would close its client's stream.
    async read(id, cursor, limit) {
      const stub = () => object('read(id)', id);
      let page = await again(() => stub().read(id, cursor, limit));
      const entries = [...page.entries];
      while (page.more && entries.length < limit) {
        const after = entries.at(-1)!.id;
        page = await again(() => stub().read(id, after, limit - entries.length));
        entries.push(...page.entries);
      }
      return { state: page.state, entries, end: page.end };
    },
    status: (id) => again(() => object('status(id)', id).status(id)),
    watch(id, listener) {
      let stub = object('watch(id)', id);
      let watching = true;
      // The first answer is the version now: it calls the listener once
      // (a change between the caller's read and this call is not missed);
      // then each new version does, and a call held to its end without a
      // change does not. A failed call (the object restarted) calls it, and
      // is tried again after a pause on a new stub (a stub that threw may
      // stay broken: on workerd, every later call on it failed).
      void (async () => {
        let version: string | undefined;
        for (let pause = 50; watching; ) {
          let next: string | undefined;
          try {
            next = await stub.wait(id, version, wait);
            pause = 50;
          } catch {
            if (watching) await sleep(pause);
            pause = Math.min(pause * 2, 2000);
            stub = object('watch(id)', id);
          }
          if (!watching) return;
          if (next === undefined || next !== version) listener(changeOf(version, next));
          version = next;
        }
      })();
      return () => {
        watching = false;
      };
    },
  };
}

// What changed between two versions of a stream (`<epoch>-<count>`, with
// `-end` once ended): only entries, or the end; undefined when it cannot be
// told (the first answer, a failed call, another life of the id).
function changeOf(before: string | undefined, after: string | undefined) {
  if (before === undefined || after === undefined) return undefined;
  if (after.endsWith('-end')) return before.endsWith('-end') ? undefined : 'end';
  const epoch = (version: string) => version.slice(0, version.lastIndexOf('-'));
  return !before.endsWith('-end') && epoch(before) === epoch(after) ? 'entries' : undefined;
}
