/**
 * What the parts of the log contract share (test/core/hub-log-contract.ts):
 * filling a log, replaying it page by page with every page checked against
 * its limits, and expecting a reset. Plain code, no test runner: it also
 * runs inside workerd.
 */
import type { HubEntry, HubLog, HubPage, HubPageLimits } from '../../src/hub/index.ts';

/** The topics appends take in turn: an entry of `a`, one of `b`, one of both. */
export const TOPICS = [['a'], ['b'], ['a', 'b']] as const;
/** Limits large enough for every replay of the contract to be one page. */
export const LIMITS: HubPageLimits = { entries: 50, bytes: 1 << 20 };

/** Throws the failure of one check: its name, then what came back. */
export function fail(check: string, detail: string): never {
  throw new Error(`${check}: ${detail}`);
}

/** Appends `count` messages, topics in turn, and returns their ids. */
export async function fill(log: HubLog, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    ids.push(await log.append(TOPICS[n % 3]!, `data: ${tag}${n}\n\n`));
  }
  return ids;
}

/** The ids of `ids` (appended by {@link fill}) an `a` subscriber gets after entry `from`. */
export const ofTopicA = (ids: readonly string[], from: number) =>
  ids.filter((_, n) => n > from && n % 3 !== 1);

/**
 * Checks one page against its limits: at most `limits.entries` entries, the
 * bytes of all but the last below `limits.bytes`, ids increasing after the
 * cursor, and a `next` after the last entry and before the head (absent
 * when the page reached the newest entry). A page may be empty only with a
 * `next`, or when the replay is complete.
 */
export function checkPage(
  log: HubLog,
  cursor: string,
  page: HubPage,
  limits: HubPageLimits,
  check: string,
) {
  const where = `read(${cursor}, limits ${limits.entries}/${limits.bytes})`;
  if (page.entries.length > limits.entries) {
    fail(check, `${where}: ${page.entries.length} entries, above the limit`);
  }
  const sizes = page.entries.map((entry) => entry.message.bytes.length);
  const before = sizes.slice(0, -1).reduce((sum, size) => sum + size, 0);
  if (before >= limits.bytes) {
    fail(check, `${where}: ${before} bytes before the last entry, at or above the limit`);
  }
  let previous = cursor;
  for (const entry of page.entries) {
    if (log.compare(previous, entry.id) >= 0) {
      fail(check, `${where}: ${entry.id} does not come after ${previous}`);
    }
    previous = entry.id;
  }
  if (page.next === undefined) return;
  if (log.compare(page.next, previous) < 0 || log.compare(page.next, cursor) <= 0) {
    fail(check, `${where}: next ${page.next} before the page's last entry ${previous}`);
  }
  if (page.head === undefined || log.compare(page.next, page.head) >= 0) {
    fail(check, `${where}: next ${page.next} with head ${page.head}: it should be absent`);
  }
  const full =
    page.entries.length === limits.entries || before + (sizes.at(-1) ?? 0) >= limits.bytes;
  if (full && page.next !== previous) {
    fail(check, `${where}: a full page whose next ${page.next} is not its last entry ${previous}`);
  }
}

/**
 * Every entry after `cursor` for `topics`, page by page within `limits`,
 * each page checked; `tooOld` and `head` of the first page.
 */
export async function replay(
  log: HubLog,
  cursor: string,
  topics: readonly string[],
  limits: HubPageLimits = LIMITS,
  check = 'replay',
): Promise<{ tooOld: boolean; head: string | undefined; entries: HubEntry[]; ids: string[] }> {
  const wanted = new Set(topics);
  const first: HubPage = await log.read(cursor, wanted, limits);
  const entries: HubEntry[] = [];
  let [page, at] = [first, cursor];
  for (let pages = 0; !page.tooOld; pages++) {
    checkPage(log, at, page, limits, check);
    entries.push(...page.entries);
    if (page.next === undefined) break;
    if (pages > 5000) fail(check, `read(${cursor}): more than 5000 pages`);
    at = page.next;
    page = await log.read(at, wanted, limits);
    if (page.tooOld) fail(check, `read(${cursor}): a later page answered tooOld`);
  }
  const ids = entries.map((entry) => entry.id);
  return { tooOld: first.tooOld, head: first.head, entries, ids };
}

/** Expects `cursor` to get `tooOld` on `log`, with `head` as the newest id. */
export async function expectReset(
  log: HubLog,
  cursor: string,
  head: string | undefined,
  check: string,
) {
  const page = await log.read(cursor, new Set(['a', 'b']), LIMITS);
  if (!page.tooOld) {
    const got = page.entries.map((entry) => entry.id);
    fail(
      check,
      `cursor ${JSON.stringify(cursor)} was replayed (${got.length} entries, first ${got[0]}), not tooOld`,
    );
  }
  if (page.head !== head) {
    fail(check, `tooOld for ${cursor} came with head ${page.head}, not ${head}`);
  }
}

/** Expects the replay after `ids[from]` on topic `a` to be exactly what came after it. */
export async function expectReplay(
  log: HubLog,
  ids: readonly string[],
  from: number,
  check: string,
  limits: HubPageLimits = LIMITS,
) {
  const got = await replay(log, ids[from]!, ['a'], limits, check);
  if (got.tooOld) fail(check, `its own id ${ids[from]} (entry ${from}) answered tooOld`);
  if (got.head !== ids.at(-1)) fail(check, `head ${got.head}, not the newest id ${ids.at(-1)}`);
  const wanted = ofTopicA(ids, from);
  if (JSON.stringify(got.ids) !== JSON.stringify(wanted)) {
    const missing = wanted.filter((id) => !got.ids.includes(id));
    fail(
      check,
      `from entry ${from}: replayed ${got.ids.length} entries, wanted ${wanted.length} (first missing ${missing[0]}, ${got.ids.length - new Set(got.ids).size} twice)`,
    );
  }
}

/** Resolves after `ms` milliseconds of real time. */
export const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
