/**
 * The contract every HubLog is tested against (see HubLog in
 * src/hub/log.ts), one suite for any log:
 * - its ids are its own (test/core/hub-log-ids.ts): they increase and order
 *   as appended; another log's id, one of storage deleted and made again, a
 *   made-up, malformed or future id get `tooOld` with the head;
 * - replay (test/core/hub-log-pages.ts): every entry after an id for the
 *   topics asked, as appended, in order, no gap, no duplicate, page by page
 *   within the page limits;
 * - the bounds it declares (test/core/hub-log-bounds.ts): count, bytes,
 *   age, and `tooOld` for a cursor whose successors were trimmed;
 * - live (test/core/hub-log-follow.ts): `follow` in order, unfollow, close;
 * - the hub's replay property on it (test/core/hub-replay-property.ts).
 *
 * Plain code with no test runner in it, so that it also runs inside workerd.
 * The memory log runs it in test/core/hub-log-contract.test.ts, Redis in
 * test/node/hub/redis-contract.test.ts, the SQLite log of a real Durable
 * Object in test/runtimes/durable-log.test.ts. To run it on a log of your
 * own, import `checkLogContract` from this file in a test of yours.
 */
import type { HubLog, LogBounds } from '../../src/hub/index.ts';
import { checkBounds } from './hub-log-bounds.ts';
import { checkFollow } from './hub-log-follow.ts';
import { checkOwnIds } from './hub-log-ids.ts';
import { checkReplay } from './hub-log-pages.ts';
import { checkReplayProperty } from './hub-replay-property.ts';

export { checkOwnIds } from './hub-log-ids.ts';

/** How a log keeps a bound: to the entry, or at least what it says and the oldest going. */
export type Trimming = 'exact' | 'approximate';

/** How the contract makes logs of one kind. */
export interface LogUnderTest {
  /**
   * A new, empty log on storage of its own (a new key, table, object or
   * process), with `bounds` when given: only the bounds declared in
   * `bounds` below are asked for, one at a time.
   */
  create(bounds?: LogBounds): HubLog | Promise<HubLog>;
  /**
   * Deletes the storage of `log` (its stream, its tables), then makes a new
   * log in the same place: the same key, table or object. For the memory
   * log, a new log (a process that restarted).
   */
  recreate(log: HubLog): HubLog | Promise<HubLog>;
  /** The bounds the log has, and how it keeps each. Default: none. */
  bounds?: { maxEntries?: Trimming; maxBytes?: Trimming; maxAge?: Trimming };
  /**
   * Another instance on the storage of `log` (another process on the same
   * key), when the log can have several: its appends must reach `log`'s
   * `follow` too.
   */
  twin?(log: HubLog): HubLog | Promise<HubLog>;
}

/** How long and how hard the contract runs. */
export interface ContractOptions {
  /** Entries each of the two logs of the identity part gets. Default 200. */
  messages?: number;
  /** Runs of the property with random sizes of the identity part. Default 10. */
  runs?: number;
  /** Runs of the hub's replay property. Default 20. */
  replayRuns?: number;
  /** The age bound tried, in milliseconds (as long again is waited). Default 1000. */
  maxAge?: number;
}

/**
 * Runs the contract; resolves to the names of the checks that held, or
 * rejects with the first that did not (its name, the cursor and what came
 * back). Every log it made is closed at the end.
 *
 * @example
 * ```ts
 * const passed = await checkLogContract({ create: (bounds) => createMemoryLog(bounds), recreate: () => createMemoryLog() });
 * ```
 */
export async function checkLogContract(
  subject: LogUnderTest,
  { messages = 200, runs = 10, replayRuns = 20, maxAge = 1000 }: ContractOptions = {},
): Promise<string[]> {
  const passed: string[] = [];
  const logs: HubLog[] = [];
  try {
    await checkOwnIds(subject, { messages, runs }, passed, logs);
    await checkReplay(subject, passed, logs);
    await checkBounds(subject, passed, logs, { maxAge });
    await checkFollow(subject, passed, logs);
    // The hub on top: resuming while messages keep coming, any interleaving.
    const property = await checkReplayProperty(() => subject.create(), replayRuns, {
      shrink: false,
    });
    if (property === replayRuns) passed.push('the hub’s replay property');
  } finally {
    await Promise.all(logs.map((log) => log.close?.()));
  }
  return passed;
}

/** The names of the checks {@link checkLogContract} passes, for the bounds a subject declares. */
export function contractChecks(subject: Pick<LogUnderTest, 'bounds' | 'twin'>): string[] {
  const bounds = subject.bounds ?? {};
  return [
    'own ids',
    "another log's id",
    'an id it never wrote',
    'storage deleted and made again',
    "another log's id (property)",
    'entries as appended',
    'the topic filter',
    'paged reads',
    'a rare topic',
    ...(bounds.maxEntries ? ['the count bound'] : []),
    ...(bounds.maxBytes ? ['the byte bound'] : []),
    ...(bounds.maxAge ? ['the age bound'] : []),
    subject.twin ? 'follow (and another instance’s appends)' : 'follow',
    'unfollow',
    'close',
    'the hub’s replay property',
  ];
}
