/**
 * The Durable Object class that holds one resumable stream: its RPC
 * methods are what `createDurableStreamStore` calls from the Worker.
 *
 * @module
 */
import { DurableObject } from 'cloudflare:workers';
import type {
  AppendResult,
  StreamEnd,
  StreamPage,
  StreamState,
  StreamTerms,
} from '../../../src/resumable/index.ts';
import type { DurableObjectStateLike } from './durable-storage.ts';
import { createStreamTable, type StreamTable } from './stream-table.ts';

/** The longest a `wait` is held, in milliseconds: the Worker asks again after it. */
const MAX_HOLD = 60_000;

/**
 * One resumable stream per object, kept in the object's SQLite storage: the
 * Worker reaches it with `createDurableStreamStore(env.STREAMS)`, which names
 * the object after the stream's id. Export it from your Worker (under any
 * name) and declare it in `new_sqlite_classes`. Its alarm ends a stream
 * whose producer stopped renewing its lease (`errored`, `producer-lost`),
 * which tells every reader at once, and deletes the stream `retention` after
 * its end. It uses the object's one alarm: a subclass that sets alarms of
 * its own must call `super.alarm()` from its `alarm()`. See
 * docs/resumable-durable-objects.md.
 *
 * @example
 * ```ts
 * // worker.ts; wrangler.toml: [[durable_objects.bindings]] name = "STREAMS", class_name = "ChatStreams"
 * // [[migrations]] tag = "v2", new_sqlite_classes = ["ChatStreams"]
 * import { SSEStreamObject } from 'ssekit/durable-objects';
 *
 * export class ChatStreams extends SSEStreamObject {}
 * ```
 */
export class SSEStreamObject<Env = unknown> extends DurableObject<Env> {
  readonly #table: StreamTable;

  constructor(ctx: DurableObjectStateLike, env: Env) {
    super(ctx, env);
    this.#table = createStreamTable(ctx.storage);
  }

  /** `StreamStore.claim`: the producer's token, or `undefined` when the id is taken. */
  claim(id: string, terms: StreamTerms): string | undefined {
    return this.#table.claim(id, terms);
  }

  /** `StreamStore.append`, as the producer holding `token`. */
  append(
    id: string,
    token: string,
    at: number,
    bodies: readonly string[],
    terms: StreamTerms,
  ): AppendResult {
    return this.#table.append(id, token, at, bodies, terms);
  }

  /** `StreamStore.renew`: `false` once the stream is not the token's to write. */
  renew(id: string, token: string, terms: StreamTerms): boolean {
    return this.#table.renew(id, token, terms);
  }

  /** `StreamStore.end`: `true` when this call ended the stream; no token: a stop. */
  end(id: string, token: string | undefined, end: StreamEnd, terms: StreamTerms): boolean {
    return this.#table.end(id, token, end, terms);
  }

  /** `StreamStore.read`: a page of entries after `cursor`; `more` when cut short by its bytes (8 MiB). */
  read(id: string, cursor: string | undefined, limit: number): StreamPage & { more?: true } {
    return this.#table.read(id, cursor, limit);
  }

  /** `StreamStore.status`. */
  status(id: string): StreamState {
    return this.#table.status(id);
  }

  /**
   * The stream's version (it changes at every append and at the end), as
   * soon as it is not `version`, or after `ms` (60 s at most): the held call
   * through which the Worker's `watch` hears of changes within milliseconds.
   */
  wait(id: string, version: string | undefined, ms: number): Promise<string> | string {
    const now = this.#table.version(id);
    if (now !== version) return now;
    const hold = Math.min(Math.max(0, Number(ms) || 0), MAX_HOLD);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop();
        resolve(this.#table.version(id));
      };
      const stop = this.#table.onChange(done);
      const timer = setTimeout(done, hold);
    });
  }

  /** Ends a stream whose lease ran out; deletes one past its retention. */
  alarm(): Promise<void> {
    return this.#table.alarm();
  }
}
