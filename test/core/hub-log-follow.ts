/**
 * The log contract's live part (test/core/hub-log-contract.ts): `follow`
 * delivers every entry appended from the call on, as appended and in id
 * order, those appended through another instance on the same storage too;
 * the function it returns stops its listener, and `close` stops them all
 * and resolves.
 */
import type { HubEntry, HubLog } from '../../src/hub/index.ts';
import type { LogUnderTest } from './hub-log-contract.ts';
import { fail, TOPICS, wait } from './hub-log-helpers.ts';

/** Waits until `until()` holds, polling; fails the check after `ms`. */
async function eventually(until: () => boolean, ms: number, check: string, what: string) {
  for (const start = Date.now(); !until(); await wait(5)) {
    if (Date.now() - start > ms) fail(check, what);
  }
}

/**
 * The live part; pushes the names of the checks that held onto `passed`
 * and the logs it made and left open onto `logs`.
 */
export async function checkFollow(
  subject: LogUnderTest,
  passed: string[],
  logs: HubLog[],
): Promise<void> {
  const log = await subject.create();
  const twin = subject.twin ? await subject.twin(log) : undefined;
  if (twin) logs.push(twin);
  let check = 'follow';
  const got: HubEntry[] = [];
  const all: HubEntry[] = [];
  const unfollow = log.follow((entry) => got.push(entry));
  log.follow((entry) => all.push(entry));
  const appended: { id: string; topics: readonly string[]; text: string }[] = [];
  for (let n = 0; n < 30; n++) {
    // Through the twin every third time, when there is one.
    const by = twin && n % 3 === 2 ? twin : log;
    const body = `event: live\ndata: ${n}\n\n`;
    const topics = TOPICS[n % 3]!;
    appended.push({ id: await by.append(topics, body), topics, text: body });
  }
  await eventually(
    () => got.length >= appended.length,
    10_000,
    check,
    `${got.length} of 30 entries came`,
  );
  for (const [n, { id, topics, text }] of appended.entries()) {
    const entry = got[n]!;
    if (entry.id !== id || entry.message.text !== `id: ${id}\n${text}`) {
      fail(check, `entry ${n}: ${entry.id} ${JSON.stringify(entry.message.text)}, not ${id}`);
    }
    if (entry.topics.join() !== topics.join()) fail(check, `entry ${n}: topics ${entry.topics}`);
    if (n > 0 && log.compare(got[n - 1]!.id, entry.id) >= 0) {
      fail(check, `entry ${n}: ${entry.id} came after ${got[n - 1]!.id}`);
    }
  }
  if (got.length !== appended.length) fail(check, `${got.length} entries came, not 30`);
  passed.push(twin ? 'follow (and another instance’s appends)' : 'follow');

  // Its function stops one listener; the other goes on.
  check = 'unfollow';
  unfollow();
  const later = await log.append(['a'], 'data: later\n\n');
  await eventually(
    () => all.some((entry) => entry.id === later),
    10_000,
    check,
    'the entry after unfollow did not come to the other listener',
  );
  if (got.length !== appended.length) fail(check, 'a listener got an entry after its unfollow');
  passed.push(check);

  // close resolves (a blocked read cut short), and no listener hears more.
  check = 'close';
  const heard = all.length;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, 3000, 'late');
  });
  const closed = await Promise.race([Promise.resolve(log.close?.()).then(() => 'closed'), late]);
  clearTimeout(timer);
  if (closed !== 'closed') fail(check, 'close() did not resolve within 3 s');
  // After close a log may refuse appends; another instance may not.
  await Promise.resolve((twin ?? log).append(['a'], 'data: after close\n\n')).catch(() => {});
  await wait(200);
  if (all.length !== heard) fail(check, 'a listener got an entry after close()');
  passed.push(check);
}
