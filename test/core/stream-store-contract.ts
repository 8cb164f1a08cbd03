/**
 * The contract every StreamStore is tested against (see StreamStore in
 * src/resumable/stream-store.ts), one suite for any store: claims, fenced
 * appends, the end as an entry, leases, reads page by page, notices, bounds,
 * retention and hostile ids.
 *
 * Plain code with no test runner in it, so that it also runs inside workerd.
 * The memory store runs it in test/core/stream-store-contract.test.ts; the
 * Redis and Durable Object stores in their own suites. To run it on a store
 * of your own, import `checkStreamStoreContract` in a test of yours.
 */
import type { StreamStore, StreamTerms } from '../../src/resumable/index.ts';

/** How the contract makes stores of one kind. */
export interface StoreUnderTest {
  /** A store (new storage, or shared: every check uses ids of its own). */
  create(): StreamStore | Promise<StreamStore>;
  /** Another instance on the same storage (another process), when the store can have several. */
  twin?(store: StreamStore): StreamStore | Promise<StreamStore>;
}

const TERMS: StreamTerms = { lease: 60_000, maxBytes: 1 << 20, retention: 60_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
/** An id no other check (or earlier run on shared storage) used. */
const freshId = (name: string) =>
  `${name}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`stream store contract: ${what}`);
}

const body = (n: number) => `data: chunk ${n}\n\n`;

/** Reads a whole stream, page by page of `limit`, from `cursor`. */
export async function readAll(store: StreamStore, id: string, cursor?: string, limit = 7) {
  const entries: { id: string; body: string }[] = [];
  for (;;) {
    const page = await store.read(id, cursor, limit);
    check(page.entries.length <= limit, `a page holds at most ${limit} entries`);
    entries.push(...page.entries);
    if (page.state === 'unknown' || page.end || page.entries.length === 0) {
      return { entries, end: page.end, state: page.state };
    }
    cursor = page.entries.at(-1)!.id;
  }
}

type Check = (store: StreamStore, subject: StoreUnderTest) => Promise<void>;

const checks: Record<string, Check> = {
  async 'one claim of many wins'(store, subject) {
    const id = freshId('claim');
    const other = subject.twin ? await subject.twin(store) : store;
    const tokens = await Promise.all(
      Array.from({ length: 8 }, (_, n) => (n % 2 ? other : store).claim(id, TERMS)),
    );
    check(
      tokens.filter((token) => token !== undefined).length === 1,
      'exactly one claim gets a token',
    );
    check((await store.status(id)) === 'active', 'a claimed stream is active');
    check((await store.claim(id, TERMS)) === undefined, 'a claimed id stays taken');
  },

  async 'appends in order, with ids of this stream only'(store) {
    const [a, b] = [freshId('order'), freshId('order')];
    const [ta, tb] = [await store.claim(a, TERMS), await store.claim(b, TERMS)];
    check(ta && tb, 'fresh ids are claimed');
    let written = 0;
    const ids: string[] = [];
    for (let n = 0; n < 30; n += 3) {
      const result = await store.append(a, ta, written, [body(n), body(n + 1), body(n + 2)], TERMS);
      check(result.ok && result.ids.length === 3, 'an append gives one id per body');
      ids.push(...result.ids);
      written += 3;
      await store.append(b, tb, n / 3, [body(n)], TERMS);
    }
    check(new Set(ids).size === 30, 'ids are distinct');
    check(
      ids.every((id) => !/[\r\n\0]/.test(id) && id.length <= 64),
      'ids are short and valid SSE ids',
    );
    const all = await readAll(store, a);
    check(all.state === 'active' && all.end === undefined, 'an active stream has no end');
    check(
      all.entries.map((entry) => entry.body).join('') ===
        Array.from({ length: 30 }, (_, n) => body(n)).join(''),
      'a read gives every body, in order, once',
    );
    check(
      all.entries.map((entry) => entry.id).join() === ids.join(),
      'a read gives the ids the appends did',
    );
    for (const from of [0, 1, 12, 28, 29]) {
      const rest = await readAll(store, a, ids[from]);
      check(rest.entries.length === 29 - from, `a read after entry ${from} starts right after it`);
      check(rest.entries[0]?.id === ids[from + 1], 'strictly after the cursor');
    }
    const bIds = (await readAll(store, b)).entries.map((entry) => entry.id);
    const foreign = await store.read(a, bIds[3], 10);
    check(
      foreign.state === 'unknown' && foreign.entries.length === 0,
      "another stream's id is not a cursor here",
    );
    for (const made of [
      '',
      'x',
      ids[0] + 'x',
      ids[0]!.replace(/-\d+$/, '-999'),
      ids[0]!.replace(/-(\d+)$/, '-0$1'),
    ]) {
      const page = await store.read(a, made, 10);
      check(
        page.state === 'unknown' && page.entries.length === 0,
        `a made-up cursor ${JSON.stringify(made)} reads nothing`,
      );
    }
  },

  async 'a retried append adds nothing twice'(store) {
    const id = freshId('retry');
    const token = await store.claim(id, TERMS);
    check(token, 'claimed');
    const first = await store.append(id, token, 0, [body(0), body(1)], TERMS);
    // The reply to the next append is "lost": the producer sends it again.
    const second = await store.append(id, token, 2, [body(2), body(3)], TERMS);
    const again = await store.append(id, token, 2, [body(2), body(3), body(4)], TERMS);
    check(first.ok && second.ok && again.ok, 'appends succeed');
    check(
      again.ids.slice(0, 2).join() === second.ids.join(),
      'a retry gives the ids the first try did',
    );
    const all = await readAll(store, id);
    check(
      all.entries.map((entry) => entry.body).join('') === [0, 1, 2, 3, 4].map(body).join(''),
      'each body once',
    );
  },

  async 'the end is the last entry, written once'(store) {
    const id = freshId('end');
    const token = await store.claim(id, TERMS);
    check(token, 'claimed');
    await store.append(id, token, 0, [body(0)], TERMS);
    check(await store.end(id, token, { state: 'done' }, TERMS), 'the first end ends it');
    check(
      !(await store.end(id, token, { state: 'errored', reason: 'producer-error' }, TERMS)),
      'a second end does nothing',
    );
    check(
      !(await store.end(id, undefined, { state: 'stopped' }, TERMS)),
      'a stop after the end does nothing',
    );
    const late = await store.append(id, token, 1, [body(1)], TERMS);
    check(
      !late.ok && late.end.state === 'done',
      'an append after the end is refused, with the end',
    );
    check(!(await store.renew(id, token, TERMS)), 'an ended stream is not renewed');
    const all = await readAll(store, id);
    check(
      all.entries.length === 1 && all.end?.state === 'done',
      'the reader gets the body, then the end',
    );
    check((await store.status(id)) === 'done', 'status says done');
    const after = await store.read(id, all.entries[0]!.id, 10);
    check(
      after.entries.length === 0 && after.end?.state === 'done',
      'a read from the last entry gets the end',
    );
  },

  async 'a stop from anywhere ends it, and fences the producer'(store, subject) {
    const id = freshId('stop');
    const token = await store.claim(id, TERMS);
    check(token, 'claimed');
    await store.append(id, token, 0, [body(0)], TERMS);
    const other = subject.twin ? await subject.twin(store) : store;
    check(
      await other.end(id, undefined, { state: 'stopped' }, TERMS),
      'a stop without the token ends an active stream',
    );
    check(!(await store.renew(id, token, TERMS)), 'the producer learns at its next renewal');
    const refused = await store.append(id, token, 1, [body(1)], TERMS);
    check(!refused.ok && refused.end.state === 'stopped', 'and its next append is refused');
    check((await readAll(store, id)).end?.state === 'stopped', 'readers get the stopped end');
    check(
      !(await store.end(id, undefined, { state: 'stopped' }, TERMS)),
      'stopping twice answers false',
    );
    check(
      !(await store.end(freshId('never'), undefined, { state: 'stopped' }, TERMS)),
      'stopping an unknown id answers false',
    );
  },

  async 'a wrong token writes nothing'(store) {
    const id = freshId('token');
    const token = await store.claim(id, TERMS);
    check(token, 'claimed');
    const forged = await store.append(id, token.slice(1) + 'x', 0, [body(0)], TERMS);
    check(!forged.ok, 'an append with another token is refused');
    check(!(await store.renew(id, 'x', TERMS)), 'so is a renewal');
    check(!(await store.end(id, 'x', { state: 'done' }, TERMS)), 'and an end');
    check((await readAll(store, id)).entries.length === 0, 'nothing was written');
    check((await store.status(id)) === 'active', 'the stream is still active');
  },

  async 'a lease that runs out ends the stream, producer-lost, and fences its producer'(store) {
    const terms: StreamTerms = { ...TERMS, lease: 300 };
    const id = freshId('lease');
    const token = await store.claim(id, terms);
    check(token, 'claimed');
    await store.append(id, token, 0, [body(0)], terms);
    await sleep(150);
    check(await store.renew(id, token, terms), 'a renewal in time keeps it');
    await sleep(200);
    check((await store.status(id)) === 'active', 'the renewal moved the lease on');
    await sleep(450);
    const all = await readAll(store, id);
    check(all.entries.length === 1, 'the bodies stay');
    check(
      all.end?.state === 'errored' && all.end.reason === 'producer-lost',
      'the end says the producer was lost',
    );
    check((await store.status(id)) === 'errored', 'status says errored');
    const stale = await store.append(id, token, 1, [body(1)], terms);
    check(!stale.ok, 'the stale producer cannot append');
    check(!(await store.renew(id, token, terms)), 'nor renew');
    check((await store.claim(id, terms)) === undefined, 'nor can anyone claim the id again');
  },

  async 'a stream past its bytes ends too-large'(store) {
    const terms: StreamTerms = { ...TERMS, maxBytes: 1000 };
    const id = freshId('bytes');
    const token = await store.claim(id, terms);
    check(token, 'claimed');
    const chunk = `data: ${'é'.repeat(100)}\n\n`; // 208 bytes in UTF-8
    let written = 0;
    for (let n = 0; n < 4; n++) {
      const result = await store.append(id, token, written, [chunk], terms);
      check(result.ok, `chunk ${n} fits`);
      written++;
    }
    const over = await store.append(id, token, written, [chunk], terms);
    check(
      !over.ok && over.end.state === 'errored' && over.end.reason === 'too-large',
      'the chunk past the bound ends it',
    );
    const all = await readAll(store, id);
    check(
      all.entries.length === 4 && all.end?.reason === 'too-large',
      'readers get what fit, then the end',
    );
  },

  async 'an ended stream is gone after its retention'(store) {
    const terms: StreamTerms = { ...TERMS, retention: 300 };
    const id = freshId('retention');
    const token = await store.claim(id, terms);
    check(token, 'claimed');
    await store.append(id, token, 0, [body(0)], terms);
    await store.end(id, token, { state: 'done' }, terms);
    check((await store.status(id)) === 'done', 'kept right after its end');
    await sleep(700);
    check((await store.status(id)) === 'unknown', 'unknown after its retention');
    const page = await store.read(id, undefined, 10);
    check(page.state === 'unknown' && page.entries.length === 0, 'nothing to read');
  },

  async 'watch tells of appends and the end, on every instance'(store, subject) {
    const id = freshId('watch');
    const token = await store.claim(id, TERMS);
    check(token, 'claimed');
    const other = subject.twin ? await subject.twin(store) : store;
    let heard = 0;
    const stop = other.watch(id, () => heard++);
    const until = async (what: string) => {
      for (let tries = 0; heard === 0; tries++) {
        check(tries < 200, `a notice of ${what} within 2 s`);
        await sleep(10);
      }
      heard = 0;
    };
    await sleep(100); // a watch may take a moment to be set up (a subscription)
    await store.append(id, token, 0, [body(0)], TERMS);
    await until('an append');
    await store.end(id, token, { state: 'done' }, TERMS);
    await until('the end');
    stop();
    await store.claim(id, TERMS); // a call that changes nothing
    await store.end(id, undefined, { state: 'stopped' }, TERMS);
    await sleep(100);
    check(heard === 0, 'nothing is heard after the watch stopped');
  },

  async 'only the page that reaches the end carries it'(store) {
    const id = freshId('pages');
    const token = await store.claim(id, TERMS);
    check(token, 'claimed');
    await store.append(
      id,
      token,
      0,
      Array.from({ length: 20 }, (_, n) => body(n)),
      TERMS,
    );
    await store.end(id, token, { state: 'done' }, TERMS);
    const first = await store.read(id, undefined, 7);
    check(
      first.entries.length === 7 && first.end === undefined,
      'a page before the last has no end',
    );
    const all = await readAll(store, id, undefined, 7);
    check(all.entries.length === 20 && all.end?.state === 'done', 'every entry, then the end');
  },

  async 'an append renews the lease; an append past the end of the stream is refused'(store) {
    const terms: StreamTerms = { ...TERMS, lease: 300 };
    const id = freshId('renewing');
    const token = await store.claim(id, terms);
    check(token, 'claimed');
    for (let n = 0; n < 6; n++) {
      await sleep(120);
      await store.append(id, token, n, [body(n)], terms);
    }
    check(
      (await store.status(id)) === 'active',
      'a producer that appends keeps its lease without renewing',
    );
    let refused = false;
    try {
      const result = await store.append(id, token, 8, [body(8)], terms);
      refused = !result.ok;
    } catch {
      refused = true;
    }
    check(refused, 'an append that would leave a gap is refused');
    check((await readAll(store, id)).entries.length === 6, 'and writes nothing');
  },

  async 'an id claimed again after its retention is a new stream'(store) {
    const terms: StreamTerms = { ...TERMS, retention: 200 };
    const id = freshId('again');
    const old = await store.claim(id, terms);
    check(old, 'claimed');
    const [first] = (await store.append(id, old, 0, [body(0), body(1)], terms)).ok
      ? (await readAll(store, id)).entries
      : [];
    await store.end(id, old, { state: 'done' }, terms);
    await sleep(450);
    const token = await store.claim(id, terms);
    check(token && token !== old, 'the id is claimed again, with a new token');
    await store.append(id, token, 0, [body(5), body(6), body(7)], terms);
    const page = await store.read(id, first!.id, 10);
    check(
      page.state === 'unknown' && page.entries.length === 0,
      "the old life's ids are not this stream's",
    );
    const stale = await store.append(id, old, 3, [body(9)], terms);
    check(!stale.ok, 'the old token appends nothing');
  },

  async 'hostile ids are refused before they reach storage'(store) {
    for (const id of [
      '',
      'a'.repeat(129),
      'a{b}',
      'a b',
      'a\nb',
      'ü',
      '../x',
      'a:b',
      'a/b',
      'a*',
      42,
    ]) {
      let refused = false;
      try {
        await store.claim(id as string, TERMS);
      } catch (error) {
        refused = (error as Error).name === 'SSEOptionError';
      }
      check(refused, `claim(${JSON.stringify(id)}) throws SSEOptionError`);
      const page = await store.read(id as string, undefined, 10).catch((error: Error) => error);
      check(
        page instanceof Error || page.state === 'unknown',
        `read(${JSON.stringify(id)}) finds nothing`,
      );
    }
  },
};

/** The names of the checks, for a test to compare with what passed. */
export const streamStoreChecks = Object.keys(checks);

/**
 * Runs every check on stores of `subject`, two at a time; resolves with the
 * names of the checks that passed, rejects with the first failure.
 */
export async function checkStreamStoreContract(subject: StoreUnderTest): Promise<string[]> {
  const passed: string[] = [];
  const names = Object.keys(checks);
  for (let n = 0; n < names.length; n += 2) {
    await Promise.all(
      names.slice(n, n + 2).map(async (name) => {
        const store = await subject.create();
        try {
          await checks[name]!(store, subject);
        } catch (error) {
          throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
        }
        passed.push(name);
      }),
    );
  }
  return passed.sort((a, b) => names.indexOf(a) - names.indexOf(b));
}
