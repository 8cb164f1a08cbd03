/**
 * The log contract's bounds part (test/core/hub-log-contract.ts): a log
 * bounded by count, bytes or age keeps what its bound says, and a cursor
 * whose successors went is told `tooOld` with the head, never replayed with
 * a gap. A bound the subject calls approximate (Redis's `MAXLEN ~` and
 * `MINID ~` trim whole nodes of a stream) is held to less: at least what
 * the bound keeps is kept, and the oldest entries do go.
 */
import type { HubEntry, HubLog, LogBounds } from '../../src/hub/index.ts';
import type { LogUnderTest } from './hub-log-contract.ts';
import { expectReplay, expectReset, fail, TOPICS, wait } from './hub-log-helpers.ts';

const encoder = new TextEncoder();

/**
 * Appends `count` entries, topics in turn (as if `from` came before), bodies
 * of varied sizes; their ids and message sizes.
 */
async function fillSized(log: HubLog, count: number, tag: string, from = 0) {
  const ids: string[] = [];
  const sizes: number[] = [];
  for (let n = 0; n < count; n++) {
    const body = `data: ${tag}${n} ${'y'.repeat((n * 13) % 40)}\n\n`;
    const id = await log.append(TOPICS[(from + n) % 3]!, body);
    ids.push(id);
    sizes.push(encoder.encode(`id: ${id}\n${body}`).length);
  }
  return { ids, sizes };
}

/**
 * The oldest index of `ids` whose id still replays. Checks what trimming
 * must leave: every older id answers `tooOld` with the head, and every
 * younger one replays exactly what came after it.
 */
async function oldestReplayable(log: HubLog, ids: readonly string[], check: string) {
  let oldest = ids.length - 1;
  while (oldest > 0) {
    const page = await log.read(ids[oldest - 1]!, new Set(['a']), { entries: 1, bytes: 1 });
    if (page.tooOld) break;
    oldest--;
  }
  for (let n = 0; n < oldest; n++) await expectReset(log, ids[n]!, ids.at(-1), check);
  const step = Math.max(1, Math.floor((ids.length - oldest) / 8));
  for (let n = oldest; n < ids.length; n += step) await expectReplay(log, ids, n, check);
  await expectReplay(log, ids, ids.length - 1, check);
  return oldest;
}

/** Expects the oldest replayable index: exactly `wanted`, or for an approximate bound, 1 to `wanted`. */
function expectOldest(oldest: number, wanted: number, approximate: boolean, check: string) {
  if (approximate ? oldest < 1 || oldest > wanted : oldest !== wanted) {
    fail(
      check,
      `the oldest id that replays is entry ${oldest}, wanted ${approximate ? `1 to ${wanted}` : wanted}`,
    );
  }
}

/**
 * The bounds part, for each bound the subject declares; pushes the names of
 * the checks that held onto `passed` and the logs it made onto `logs`.
 */
export async function checkBounds(
  subject: LogUnderTest,
  passed: string[],
  logs: HubLog[],
  { maxAge = 1000 } = {},
): Promise<void> {
  const make = async (bounds: LogBounds) => {
    const log = await subject.create(bounds);
    logs.push(log);
    return log;
  };
  const declared = subject.bounds ?? {};

  if (declared.maxEntries) {
    const check = 'the count bound';
    const approximate = declared.maxEntries === 'approximate';
    const log = await make({ maxEntries: 10 });
    // Approximate trimming takes whole nodes (100 entries of a Redis stream): go well past one.
    const { ids } = await fillSized(log, approximate ? 300 : 40, 'n');
    const oldest = await oldestReplayable(log, ids, check);
    expectOldest(oldest, ids.length - 1 - 10, approximate, check);
    passed.push(check);
  }

  if (declared.maxBytes) {
    const check = 'the byte bound';
    const approximate = declared.maxBytes === 'approximate';
    const bound = 1000;
    const log = await make({ maxBytes: bound });
    const { ids, sizes } = await fillSized(log, approximate ? 300 : 40, 'b');
    const oldest = await oldestReplayable(log, ids, check);
    // Exactly: the newest entries whose bytes fit, and not one more.
    let kept = ids.length;
    for (let total = 0; kept > 0 && total + sizes[kept - 1]! <= bound; kept--) {
      total += sizes[kept - 1]!;
    }
    expectOldest(oldest, kept - 1, approximate, check);
    // An entry above the bound alone goes live and is not kept: a cursor
    // before it gets tooOld; its own id replays (nothing after it).
    const delivered: HubEntry[] = [];
    const unfollow = log.follow((entry) => delivered.push(entry));
    const big = await log.append(['a'], `data: ${'z'.repeat(bound * 2)}\n\n`);
    for (let tries = 0; !delivered.some((entry) => entry.id === big); tries++) {
      if (tries > 500) fail(check, 'an entry above the byte bound was not delivered live');
      await wait(10);
    }
    unfollow();
    if (!approximate) await expectReset(log, ids.at(-1)!, big, check);
    await expectReplay(log, [...ids, big], ids.length, check);
    passed.push(check);
  }

  if (declared.maxAge) {
    const check = 'the age bound';
    const approximate = declared.maxAge === 'approximate';
    const log = await make({ maxAge });
    const old = await fillSized(log, approximate ? 300 : 5, 'o');
    // Young entries are kept (the bound is a second: no machine is that slow).
    await expectReplay(log, old.ids, 0, check);
    await wait(maxAge * 1.3);
    const young = await fillSized(log, 5, 'y', old.ids.length);
    const ids = [...old.ids, ...young.ids];
    const oldest = await oldestReplayable(log, ids, check);
    // The last old entry is gone, but nothing after it: its id still replays.
    expectOldest(oldest, old.ids.length - 1, approximate, check);
    passed.push(check);
  }
}
