/**
 * The contract every HubLog is tested against (see HubLog in
 * src/hub/log.ts): its ids are its own. An id of another log (another
 * process, shard, object, key or server), of storage that was deleted and
 * made again, or one it never wrote, is answered `tooOld` with this log's
 * head, never taken for a position in this history; its own ids order and
 * replay exactly. Plain code with no test runner in it, so that it also
 * runs inside workerd (test/runtimes/durable-objects.test.ts runs it on the
 * SQLite log of a real Durable Object); the memory log runs it in
 * test/core/hub-log-contract.test.ts, Redis in test/node/hub/.
 */
import fc from 'fast-check';
import type { HubLog, HubPage } from '../../src/hub/index.ts';

/** How the contract makes logs of one kind. */
export interface LogUnderTest {
  /** A new, empty log on storage of its own (a new key, table, object or process). */
  create(): HubLog | Promise<HubLog>;
  /**
   * Deletes the storage of `log` (its stream, its tables), then makes a new
   * log in the same place: the same key, table or object. For the memory
   * log, a new log (a process that restarted).
   */
  recreate(log: HubLog): HubLog | Promise<HubLog>;
}

const TOPICS = [['a'], ['b'], ['a', 'b']] as const;
const LIMITS = { entries: 50, bytes: 1 << 20 };

/** Appends `count` messages, topics in turn, and returns their ids. */
async function fill(log: HubLog, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    ids.push(await log.append(TOPICS[n % 3]!, `data: ${tag}${n}\n\n`));
  }
  return ids;
}

/** Every entry after `cursor` for `topics`, page by page; `tooOld` and `head` of the first page. */
async function replay(log: HubLog, cursor: string, topics: readonly string[]) {
  const wanted = new Set(topics);
  const first: HubPage = await log.read(cursor, wanted, LIMITS);
  const ids = first.entries.map((entry) => entry.id);
  let page = first;
  for (let pages = 0; !page.tooOld && page.next !== undefined; pages++) {
    if (pages > 1000) throw new Error(`read(${cursor}): more than 1000 pages`);
    page = await log.read(page.next, wanted, LIMITS);
    if (page.tooOld) throw new Error(`read(${cursor}): a later page answered tooOld`);
    ids.push(...page.entries.map((entry) => entry.id));
  }
  return { tooOld: first.tooOld, head: first.head, ids };
}

function fail(check: string, detail: string): never {
  throw new Error(`${check}: ${detail}`);
}

/** Expects `cursor` to get `tooOld` on `log`, with `head` as the newest id. */
async function expectReset(log: HubLog, cursor: string, head: string | undefined, check: string) {
  const page = await log.read(cursor, new Set(['a', 'b']), LIMITS);
  if (!page.tooOld) {
    const got = page.entries.map((entry) => entry.id);
    fail(
      check,
      `cursor ${JSON.stringify(cursor)} was replayed (${got.length} entries, first ${got[0]}), not tooOld`,
    );
  }
  if (page.head !== head)
    fail(check, `tooOld for ${cursor} came with head ${page.head}, not ${head}`);
}

/** Its own ids: valid SSE ids, short, increasing, and each replays exactly what came after it. */
async function ownIds(log: HubLog, ids: readonly string[]) {
  const check = 'own ids';
  if (new Set(ids).size !== ids.length) fail(check, 'two appends got the same id');
  for (const [n, id] of ids.entries()) {
    if (/[\r\n\0]/.test(id) || id === '' || id.length > 64) {
      fail(check, `${JSON.stringify(id)} is not a short SSE id`);
    }
    if (n > 0 && !(log.compare(ids[n - 1]!, id) < 0 && log.compare(id, ids[n - 1]!) > 0)) {
      fail(check, `compare does not order ${ids[n - 1]} before ${id}`);
    }
    if (log.compare(id, id) !== 0) fail(check, `compare(${id}, ${id}) is not 0`);
  }
  const head = ids.at(-1);
  for (const from of [0, 1, Math.floor(ids.length / 2), ids.length - 2, ids.length - 1]) {
    if (from < 0) continue;
    const wanted = ids.filter((_, n) => n > from && n % 3 !== 1); // topic 'a': ['a'] and ['a', 'b']
    const got = await replay(log, ids[from]!, ['a']);
    if (got.tooOld) fail(check, `its own id ${ids[from]} (entry ${from}) answered tooOld`);
    if (got.head !== head) fail(check, `head ${got.head}, not the newest id ${head}`);
    if (JSON.stringify(got.ids) !== JSON.stringify(wanted)) {
      fail(
        check,
        `from entry ${from}: replayed ${got.ids.length} entries, wanted ${wanted.length}`,
      );
    }
  }
}

/**
 * Runs the contract; resolves to the names of the checks that held, or
 * rejects with the first that did not (its name, the cursor and what came
 * back). `messages` entries go to each log (default 200, as in the issue's
 * two-shard case); `runs` is the number of runs of the property with random
 * sizes.
 */
export async function checkLogContract(
  subject: LogUnderTest,
  { messages = 200, runs = 10 } = {},
): Promise<string[]> {
  const passed: string[] = [];
  const logs: HubLog[] = [];
  const make = async () => {
    const log = await subject.create();
    logs.push(log);
    return log;
  };
  try {
    // Two logs side by side, the same messages published to both in turn:
    // where ids are counters or times, they come out alike.
    const [one, two] = [await make(), await make()];
    const ids: [string[], string[]] = [[], []];
    for (let n = 0; n < messages; n++) {
      for (const [index, log] of [one, two].entries()) {
        ids[index]!.push(await log.append(TOPICS[n % 3]!, `data: ${n}\n\n`));
      }
    }
    await ownIds(one, ids[0]);
    await ownIds(two, ids[1]);
    passed.push('own ids');

    for (const [index, log] of [one, two].entries()) {
      const other = ids[1 - index]!;
      for (const cursor of other) {
        await expectReset(log, cursor, ids[index]!.at(-1), "another log's id");
      }
    }
    passed.push("another log's id");

    const head = ids[0].at(-1)!;
    const madeUp = [
      'garbage',
      '0',
      '1',
      '0-0',
      '1-0',
      `${head}0`,
      `0${head}`,
      `${head} `,
      `-${head}`,
    ];
    for (const cursor of [...madeUp, 'x'.repeat(1000), '99999999999999999999-0']) {
      await expectReset(one, cursor, head, 'an id it never wrote');
    }
    passed.push('an id it never wrote');

    // The storage deleted and made again, then as many messages as before:
    // the new history's counters run over the old one's.
    const old = await fill(one, 3, 'old');
    const again = await subject.recreate(one);
    logs.push(again);
    const fresh = await fill(again, messages + 3, 'new');
    for (const cursor of [...ids[0], ...old]) {
      await expectReset(again, cursor, fresh.at(-1), 'storage deleted and made again');
    }
    await ownIds(again, fresh);
    passed.push('storage deleted and made again');

    // Any sizes, either log made first.
    let property = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(),
        async (sizeA, sizeB, pick) => {
          property++;
          const [a, b] = [await make(), await make()];
          const [idsA, idsB] = [await fill(a, sizeA, 'a'), await fill(b, sizeB, 'b')];
          await expectReset(b, idsA[pick % sizeA]!, idsB.at(-1), "another log's id (property)");
          await expectReset(a, idsB[pick % sizeB]!, idsA.at(-1), "another log's id (property)");
        },
      ),
      { numRuns: runs, endOnFailure: true },
    );
    if (property === runs) passed.push("another log's id (property)");
  } finally {
    await Promise.all(logs.map((log) => log.close?.()));
  }
  return passed;
}
