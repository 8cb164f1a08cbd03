import { describe, expect, test } from 'vitest';
import { mcpEventStore, type SessionEventLog } from '../../src/mcp/index.ts';

// The SDK's transport (1.32.2) registers a resumed stream as the live one in
// the microtasks after replayEventsAfter returns, and writes an event live
// only if, when storeEvent resolves, that stream is registered. On a log
// whose replies come back together (two Redis replies in one read), an event
// stored just after the replay's last read resolved before the registration,
// and was lost: in neither the replay nor the live stream. Measured with the
// SDK on Redis, one server, a client cut and resumed 40 times while a tool
// sent notifications back to back: 8 of 40 resumes lost one, none after.

/** A log whose `after` and `append` replies wait until `flush()`, then come in that order, in one task. */
function heldLog() {
  const held: (() => void)[] = [];
  const hold = <T>(value: T) => new Promise<T>((resolve) => held.push(() => resolve(value)));
  const log: SessionEventLog = {
    append: () => hold('e0000000000000000000000000000-3'),
    streamOf: async () => 's',
    after: (id) =>
      hold({
        streamId: 's',
        events: [{ id: `${id.split('-')[0]}-2`, message: '{"n":2}' }],
        last: true,
      }),
    delete: async () => {},
  };
  const flush = () => {
    for (const release of held.splice(0)) release();
  };
  return { log, flush };
}

describe('the SDK’s EventStore on a log', () => {
  test('an event stored as a replay ends resolves once the resumed stream is registered', async () => {
    const { log, flush } = heldLog();
    const store = mcpEventStore(log);
    // The transport: replay, then register; store, then look for the live stream.
    let registered = false;
    const replayed: string[] = [];
    const resumed = (async () => {
      await store.replayEventsAfter('e0000000000000000000000000000-1', {
        send: async (id) => void replayed.push(id),
      });
      registered = true;
    })();
    let live: boolean | undefined;
    const stored = (async () => {
      await store.storeEvent('s', { n: 3 });
      live = registered;
    })();
    flush();
    await Promise.all([resumed, stored]);
    expect(replayed).toEqual(['e0000000000000000000000000000-2']);
    expect(live).toBe(true);
  });

  test('with no replay under way, storeEvent waits for nothing', async () => {
    const { log, flush } = heldLog();
    const store = mcpEventStore(log);
    let done = false;
    const stored = store.storeEvent('s', { n: 1 }).then(() => (done = true));
    flush();
    // A few microtasks, no task: resolved already.
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(done).toBe(true);
    await stored;
  });
});
