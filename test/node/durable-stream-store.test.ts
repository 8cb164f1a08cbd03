/**
 * The Worker's store of resumable streams in Durable Objects, apart from
 * workerd: its option checks, and how its watch turns the object's held
 * calls into notices. On workerd, with real objects:
 * test/runtimes/durable-resumable.test.ts.
 */
import { describe, expect, test } from 'vitest';
import {
  createDurableStreamStore,
  type StreamNamespaceLike,
} from '../../adapters/logs/durable-objects/durable-stream-store.ts';

/**
 * A binding whose object answers each `wait` with what the test gives it,
 * and fails the first `failures.count` reads and statuses.
 */
function namespace() {
  const waits: { ms: number; answer(version: string): void; fail(): void }[] = [];
  const named: string[] = [];
  const failures = { count: 0, calls: 0 };
  const flaky = <T>(value: T) => {
    failures.calls++;
    return failures.count-- > 0
      ? Promise.reject(new Error('Network connection lost.'))
      : Promise.resolve(value);
  };
  const binding = {
    idFromName(name: string) {
      named.push(name);
      return name;
    },
    get: () => ({
      read: () => flaky({ state: 'active', entries: [] }),
      status: () => flaky('active'),
      wait: (_id: string, _version: string | undefined, ms: number) =>
        new Promise<string>((resolve, reject) =>
          waits.push({ ms, answer: resolve, fail: () => reject(new Error('object restarted')) }),
        ),
    }),
  } as unknown as StreamNamespaceLike;
  return { binding, waits, named, failures };
}
const settle = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createDurableStreamStore', () => {
  test('refuses what is not a namespace, and a hold that is not a delay', () => {
    expect(() => createDurableStreamStore({} as StreamNamespaceLike)).toThrow(
      'namespace: expected the Durable Object namespace binding of an SSEStreamObject class, such as env.STREAMS, got an object. Check durable_objects.bindings in wrangler.toml.',
    );
    const { binding } = namespace();
    for (const hold of [0, -1, Number.NaN, 2 ** 31, '5000']) {
      expect(() => createDurableStreamStore(binding, { hold: hold as number })).toThrow(/^hold: /);
    }
  });

  test('a hostile id names no object', async () => {
    const { binding, named } = namespace();
    const store = createDurableStreamStore(binding);
    await expect(store.status('a/b')).rejects.toThrow(/^status\(id\): expected a stream id/);
    expect(() => store.watch('a b', () => {})).toThrow(/^watch\(id\): expected a stream id/);
    expect(named).toEqual([]);
  });

  test('a read or a status that fails on its way is tried again, three times in all', async () => {
    const { binding, failures } = namespace();
    const store = createDurableStreamStore(binding);
    failures.count = 2;
    expect(await store.read('chat-1', undefined, 10)).toEqual({
      state: 'active',
      entries: [],
      end: undefined,
    });
    expect(failures.calls).toBe(3);
    failures.count = 2;
    expect(await store.status('chat-1')).toBe('active');
    failures.count = 3;
    await expect(store.status('chat-1')).rejects.toThrow('Network connection lost.');
    expect(failures.calls).toBe(9);
  });

  test('watch: told at the first answer and at each new version, not when a held call runs out, again after a failure, never after it stopped', async () => {
    const { binding, waits } = namespace();
    let heard = 0;
    const stop = createDurableStreamStore(binding, { hold: 90_000 }).watch('chat-1', () => heard++);
    expect(waits[0]!.ms).toBe(60_000); // a hold is at most 60 s
    waits[0]!.answer('e-0');
    await settle();
    expect(heard).toBe(1);
    waits[1]!.answer('e-0'); // held to its end, nothing changed
    await settle();
    expect(heard).toBe(1);
    waits[2]!.answer('e-1');
    await settle();
    expect(heard).toBe(2);
    waits[3]!.fail();
    await settle(100); // the pause before it asks again
    expect(heard).toBe(3);
    expect(waits).toHaveLength(5);
    stop();
    waits[4]!.answer('e-2');
    await settle();
    expect(heard).toBe(3);
    expect(waits).toHaveLength(5);
  });

  test('watch says what changed: entries, the end, or nothing it can tell', async () => {
    const { binding, waits } = namespace();
    const heard: (string | undefined)[] = [];
    const stop = createDurableStreamStore(binding).watch('chat-2', (change) => heard.push(change));
    for (const version of ['e-0', 'e-3', 'e-3-end', 'f-0']) {
      waits.at(-1)!.answer(version);
      await settle();
    }
    stop();
    expect(heard).toEqual([undefined, 'entries', 'end', undefined]);
  });
});
