/**
 * The contract every MCP event store of this package keeps (see
 * SessionEventLog in src/mcp/session-events.ts and McpEventStore in
 * src/mcp/mcp-event-store.ts), checked through the SDK's interface: exact
 * replay, sessions that see only their own events, ids no one can guess,
 * bounds, deletion, and hostile ids.
 *
 * Plain code with no test runner in it, so that it also runs inside workerd.
 * Memory runs it in test/core/event-stores-contract.test.ts; Redis and
 * Durable Objects in their own suites.
 */
import type { LogBounds } from '../../src/hub/index.ts';
import type { McpEventStore, McpEventStores } from '../../src/mcp/index.ts';

/** How the contract makes stores of one kind. */
export interface EventStoresUnderTest {
  /** Stores on storage of their own (or shared: every check uses session ids of its own), with `bounds` when given. */
  create(bounds?: LogBounds): McpEventStores | Promise<McpEventStores>;
  /** The bounds the stores keep exactly; others are not checked. */
  bounds?: { maxEntries?: boolean; maxAge?: boolean };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const freshSession = (name: string) =>
  `${name}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

function check(ok: unknown, what: string): asserts ok {
  if (!ok) throw new Error(`event store contract: ${what}`);
}

const note = (n: number) => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progressToken: 't', progress: n, message: `step ${n} “ü”` },
});

/** Every event a replay after `id` sends, and the stream it says. */
export async function replay(store: McpEventStore, id: string) {
  const sent: { id: string; message: any }[] = [];
  const streamId = await store.replayEventsAfter(id, {
    send: async (eventId, message) => void sent.push({ id: eventId, message }),
  });
  return { streamId, sent };
}

type Check = (subject: EventStoresUnderTest) => Promise<void>;

const checks: Record<string, Check> = {
  async 'a replay sends the same stream’s later events, in order, all of them'(subject) {
    const stores = await subject.create();
    const store = stores.session(freshSession('exact'));
    const ids: Record<string, string[]> = { a: [], _GET_stream: [] };
    const primingId = await store.storeEvent('a', {});
    for (let n = 0; n < 260; n++) {
      ids.a!.push(await store.storeEvent('a', note(n)));
      if (n % 3 === 0) ids._GET_stream!.push(await store.storeEvent('_GET_stream', note(1000 + n)));
    }
    check((await store.getStreamIdForEventId(ids.a![5]!)) === 'a', 'an event’s stream is found');
    check(
      (await store.getStreamIdForEventId(ids._GET_stream![2]!)) === '_GET_stream',
      'on each stream',
    );
    const all = await replay(store, primingId);
    check(all.streamId === 'a', 'the replay says its stream');
    check(all.sent.length === 260, `every later event, over pages (got ${all.sent.length})`);
    check(
      all.sent.every((event, n) => event.id === ids.a![n] && event.message.params.progress === n),
      'in order, with their ids and messages as stored',
    );
    const rest = await replay(store, ids.a![199]!);
    check(rest.sent.length === 60 && rest.sent[0]!.id === ids.a![200], 'strictly after the cursor');
    check((await replay(store, ids.a!.at(-1)!)).sent.length === 0, 'nothing after the newest');
    const get = await replay(store, ids._GET_stream![0]!);
    check(
      get.streamId === '_GET_stream' && get.sent.length === ids._GET_stream!.length - 1,
      'the other stream alone',
    );
  },

  async 'a priming event is a cursor and is not sent again'(subject) {
    const store = (await subject.create()).session(freshSession('priming'));
    const first = await store.storeEvent('req-1', {});
    const one = await store.storeEvent('req-1', note(1));
    await store.storeEvent('req-1', {}); // a second priming event, after a close on purpose
    await store.storeEvent('req-1', note(2));
    check((await store.getStreamIdForEventId(first)) === 'req-1', 'the priming event is stored');
    const all = await replay(store, first);
    check(
      all.sent.map((event) => event.message.params.progress).join() === '1,2',
      'only messages are sent',
    );
    check(
      (await replay(store, one)).sent.length === 1,
      'from a message after which came a priming event',
    );
  },

  async 'a session sees only its own events'(subject) {
    const stores = await subject.create();
    const [victim, attacker] = [
      stores.session(freshSession('victim')),
      stores.session(freshSession('attacker')),
    ];
    const victimIds: string[] = [];
    for (let n = 0; n < 5; n++) victimIds.push(await victim.storeEvent('_GET_stream', note(n)));
    const own = await attacker.storeEvent('_GET_stream', note(99));
    const tries = [
      ...victimIds,
      '_GET_stream:1',
      '_GET_stream_1_abc',
      '_GET_stream',
      own.replace(/-\d+$/, '-1'),
      own.replace(/-\d+$/, '-0'),
      own.replace(/-\d+$/, '-2'),
      victimIds[0]!.replace(/-\d+$/, `-${own.split('-').at(-1)}`),
      '',
      'x'.repeat(5000),
      `${own}\n`,
    ];
    for (const id of tries.filter((id) => id !== own)) {
      const label = JSON.stringify(id.slice(0, 40));
      check(
        (await attacker.getStreamIdForEventId(id)) === undefined,
        `${label} is unknown to the attacker`,
      );
      const { sent } = await replay(attacker, id);
      check(sent.length === 0, `${label} replays nothing to the attacker`);
    }
    const other = await subject.create();
    check(
      (await other.session(freshSession('x')).getStreamIdForEventId(victimIds[0]!)) === undefined,
      'another store’s session does not know the id',
    );
  },

  async 'ids are unguessable, and new after the session is deleted'(subject) {
    const stores = await subject.create();
    const sessionId = freshSession('ids');
    const store = stores.session(sessionId);
    const ids = [await store.storeEvent('s', note(1)), await store.storeEvent('s', note(2))];
    const other = await stores.session(freshSession('ids')).storeEvent('s', note(1));
    const epoch = (id: string) => id.slice(0, id.lastIndexOf('-'));
    check(epoch(ids[0]!) === epoch(ids[1]!), 'one session, one epoch');
    check(epoch(ids[0]!) !== epoch(other), 'each session its own');
    check(epoch(ids[0]!).length >= 24, 'an epoch of at least 120 random bits');
    check(
      ids.every((id) => /^[0-9a-z-]{1,64}$/.test(id)),
      'ids are short, and valid SSE ids',
    );
    await stores.deleteSession(sessionId);
    check(
      (await store.getStreamIdForEventId(ids[0]!)) === undefined,
      'a deleted session’s ids are unknown',
    );
    check((await replay(store, ids[0]!)).sent.length === 0, 'and replay nothing');
    const again = await store.storeEvent('s', note(3));
    check(epoch(again) !== epoch(ids[0]!), 'the session’s storage made again has a new epoch');
  },

  async 'stream and session ids are checked before they reach a key'(subject) {
    const stores = await subject.create();
    const store = stores.session(freshSession('hostile'));
    for (const streamId of ['', 'a b', 'x'.repeat(129), '{tag}', 'a\nb', '../x', 'ü', 'a*', 7]) {
      let refused = false;
      await store
        .storeEvent(streamId as string, note(1))
        .catch((error: Error) => (refused = error.name === 'SSEOptionError'));
      check(refused, `stream id ${JSON.stringify(streamId)} is refused`);
    }
    for (const sessionId of ['', 'a b', 'x'.repeat(257), 'a\nb', 42]) {
      let refused = false;
      try {
        stores.session(sessionId as string);
      } catch (error) {
        refused = (error as Error).name === 'SSEOptionError';
      }
      check(refused, `session id ${JSON.stringify(sessionId)} is refused`);
    }
    let refused = false;
    await store
      .storeEvent('s', { big: 1n })
      .catch(
        (error: Error) => (refused = error.name === 'SSEOptionError' || error instanceof TypeError),
      );
    check(refused, 'a message that is not JSON is refused');
  },

  async 'a replay that cannot finish says how far it got'(subject) {
    const store = (await subject.create()).session(freshSession('fail'));
    const first = await store.storeEvent('s', note(0));
    for (let n = 1; n <= 10; n++) await store.storeEvent('s', note(n));
    let sends = 0;
    let error: any;
    await store
      .replayEventsAfter(first, {
        send: async () => {
          if (++sends === 6) throw new Error('socket closed');
        },
      })
      .catch((thrown) => (error = thrown));
    check(
      error?.name === 'McpReplayError' && error.sent === 5 && error.streamId === 's',
      'McpReplayError with the count sent',
    );
    check(/sent 5 events/.test(error.message), 'its message says so');
  },

  async 'the oldest events go first, past the count bound'(subject) {
    if (!subject.bounds?.maxEntries) return;
    const store = (await subject.create({ maxEntries: 10 })).session(freshSession('count'));
    const ids: string[] = [];
    for (let n = 0; n < 25; n++) ids.push(await store.storeEvent('s', note(n)));
    check((await store.getStreamIdForEventId(ids[5]!)) === undefined, 'a trimmed event is unknown');
    const kept = await replay(store, ids[15]!);
    check(kept.sent.length === 9, 'the kept ones replay');
  },

  async 'events older than maxAge go'(subject) {
    if (!subject.bounds?.maxAge) return;
    const store = (await subject.create({ maxAge: 200 })).session(freshSession('age'));
    const old = await store.storeEvent('s', note(0));
    await sleep(350);
    const recent = await store.storeEvent('s', note(1));
    check((await store.getStreamIdForEventId(old)) === undefined, 'an old event is gone');
    check((await store.getStreamIdForEventId(recent)) === 's', 'a recent one is kept');
  },
};

/** The names of the checks, for a test to compare with what passed. */
export const eventStoreChecks = Object.keys(checks);

/** Runs every check, one after another; resolves with the names that passed, rejects with the first failure. */
export async function checkEventStoreContract(subject: EventStoresUnderTest): Promise<string[]> {
  const passed: string[] = [];
  for (const [name, run] of Object.entries(checks)) {
    try {
      await run(subject);
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
    }
    passed.push(name);
  }
  return passed;
}
