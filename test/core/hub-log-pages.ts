/**
 * The log contract's replay part (test/core/hub-log-contract.ts): a read
 * after an id gives every entry after it for the topics asked, in order,
 * with no gap and no duplicate, page by page within the page limits; and
 * the entries carry what was appended.
 */
import type { HubLog, HubPageLimits, LogBounds } from '../../src/hub/index.ts';
import type { LogUnderTest } from './hub-log-contract.ts';
import { expectReplay, fail, LIMITS, replay, TOPICS } from './hub-log-helpers.ts';

/** Limits that cut a replay into pages in every way: by count, by bytes, one entry each. */
const PAGINGS: HubPageLimits[] = [
  { entries: 1, bytes: 1 << 20 },
  { entries: 7, bytes: 1 << 20 },
  { entries: 1000, bytes: 1 },
  { entries: 1000, bytes: 150 },
  { entries: 4, bytes: 100 },
];

/**
 * The replay part; pushes the names of the checks that held onto `passed`
 * and the logs it made onto `logs`.
 */
export async function checkReplay(
  subject: LogUnderTest,
  passed: string[],
  logs: HubLog[],
): Promise<void> {
  const make = async (bounds?: LogBounds) => {
    const log = await subject.create(bounds);
    logs.push(log);
    return log;
  };
  const log = await make();
  // Bodies of many sizes, so that byte limits fall at every place.
  const ids: string[] = [];
  const bodies: string[] = [];
  for (let n = 0; n < 60; n++) {
    bodies.push(`event: e${n}\ndata: ${'x'.repeat((n * 37) % 90)}\ndata: ${n}\n\n`);
    ids.push(await log.append(TOPICS[n % 3]!, bodies[n]!));
  }

  // Each entry as appended: its id line, then the body; its topics.
  let check = 'entries as appended';
  const all = await replay(log, ids[0]!, ['a', 'b'], LIMITS, check);
  const first = await log.read(ids[0]!, new Set(['a', 'b']), LIMITS);
  if (first.entries[0]?.id !== ids[1])
    fail(check, `the first entry after ${ids[0]} is not ${ids[1]}`);
  for (const [n, entry] of all.entries.entries()) {
    const text = `id: ${ids[n + 1]}\n${bodies[n + 1]}`;
    if (entry.id !== ids[n + 1] || entry.message.text !== text) {
      fail(
        check,
        `entry ${n + 1}: ${JSON.stringify(entry.message.text)}, not ${JSON.stringify(text)}`,
      );
    }
    const topics = TOPICS[(n + 1) % 3]!;
    if (JSON.stringify([...entry.topics].sort()) !== JSON.stringify(topics)) {
      fail(check, `entry ${n + 1}: topics ${entry.topics}, not ${topics}`);
    }
    if (new TextDecoder().decode(entry.message.bytes) !== text) {
      fail(check, `entry ${n + 1}: its bytes are not its text`);
    }
  }
  passed.push(check);

  // The topic filter: each topic alone, both, and one nobody published to.
  check = 'the topic filter';
  for (const [topics, wanted] of [
    [['a'], ids.filter((_, n) => n % 3 !== 1)],
    [['b'], ids.filter((_, n) => n % 3 !== 0)],
    [['a', 'b'], ids],
    [['b', 'none'], ids.filter((_, n) => n % 3 !== 0)],
    [['none'], []],
  ] as const) {
    const got = await replay(log, ids[0]!, topics, LIMITS, check);
    const after = wanted.filter((id) => id !== ids[0]);
    if (got.tooOld || JSON.stringify(got.ids) !== JSON.stringify(after)) {
      fail(check, `topics ${topics}: replayed ${got.ids.length} entries, wanted ${after.length}`);
    }
  }
  passed.push(check);

  // Every cursor, every paging: exactly what came after, no gap, no duplicate.
  check = 'paged reads';
  for (const limits of PAGINGS) {
    for (let from = 0; from < ids.length; from += 5) {
      await expectReplay(log, ids, from, check, limits);
    }
    await expectReplay(log, ids, ids.length - 1, check, limits);
  }
  passed.push(check);

  // A rare topic among many others: a log that bounds the entries it scans
  // per read may answer empty pages with a next; the replay still finds it.
  check = 'a rare topic';
  const sparse = await make(subject.bounds?.maxEntries ? { maxEntries: 5000 } : undefined);
  const rare: string[] = [await sparse.append(['rare'], 'data: 0\n\n')];
  for (let n = 0; n < 1200; n++) await sparse.append(['common'], `data: ${n}\n\n`);
  rare.push(await sparse.append(['rare'], 'data: 1\n\n'));
  for (let n = 0; n < 30; n++) await sparse.append(['common'], `data: ${n}\n\n`);
  const found = await replay(sparse, rare[0]!, ['rare'], { entries: 10, bytes: 1 << 20 }, check);
  if (found.tooOld || JSON.stringify(found.ids) !== JSON.stringify(rare.slice(1))) {
    fail(check, `replayed ${JSON.stringify(found.ids)}, wanted ${JSON.stringify(rare.slice(1))}`);
  }
  passed.push(check);
}
