/**
 * The log contract's first part (test/core/hub-log-contract.ts): a log's
 * ids are its own. An id of another log (another process, shard, object,
 * key or server), of storage that was deleted and made again, or one it
 * never wrote, is answered `tooOld` with this log's head, never taken for a
 * position in this history; its own ids order and replay exactly.
 */
import fc from 'fast-check';
import type { HubLog } from '../../src/hub/index.ts';
import type { LogUnderTest } from './hub-log-contract.ts';
import { expectReplay, expectReset, fail, fill, TOPICS } from './hub-log-helpers.ts';

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
  // compare sorts them back into the order they were appended in.
  const shuffled = [...ids.filter((_, n) => n % 2 === 1), ...ids.filter((_, n) => n % 2 === 0)];
  const sorted = shuffled.reverse().sort(log.compare);
  if (JSON.stringify(sorted) !== JSON.stringify(ids)) {
    fail(check, 'compare does not sort the ids in the order they were appended');
  }
  for (const from of [0, 1, Math.floor(ids.length / 2), ids.length - 2, ids.length - 1]) {
    if (from >= 0) await expectReplay(log, ids, from, check);
  }
}

/**
 * The identity part of the contract; pushes the names of the checks that
 * held onto `passed`, and the logs it made onto `logs` (the caller closes
 * them). `messages` entries go to each of two logs; `runs` is the number of
 * runs of the property with random sizes.
 */
export async function checkOwnIds(
  subject: LogUnderTest,
  { messages = 200, runs = 10 } = {},
  passed: string[] = [],
  logs: HubLog[] = [],
): Promise<string[]> {
  const make = async () => {
    const log = await subject.create();
    logs.push(log);
    return log;
  };
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
    '',
    '0',
    '1',
    '0-0',
    '1-0',
    `${head}0`,
    `0${head}`,
    `${head} `,
    `-${head}`,
    `${head}-1`,
    head.replace(/\d+$/, (n) => `0${n}`),
  ];
  for (const cursor of [...madeUp, 'x'.repeat(1000), '99999999999999999999-0']) {
    await expectReset(one, cursor, head, 'an id it never wrote');
  }
  // Ids of its own epoch it has not written yet: the head's last number on.
  for (const step of [1n, 2n, 1_000_000n]) {
    const future = head.replace(/\d+$/, (n) => String(BigInt(n) + step));
    await expectReset(one, future, head, 'an id it never wrote');
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
  return passed;
}
