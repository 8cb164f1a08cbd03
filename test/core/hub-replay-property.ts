/**
 * The hub's replay property, on any log: a subscriber that resumes from a
 * cursor while messages keep coming gets every message after the cursor on
 * its topics, once, in order, whatever the interleaving of replay reads,
 * live deliveries and publishes. Plain code with no test runner in it, so
 * that it also runs inside workerd (test/runtimes/durable-objects.test.ts
 * runs it against the SQLite log of a real Durable Object).
 */
import fc from 'fast-check';
import { createHub, type HubEntry, type HubLog } from '../../src/hub/index.ts';

/**
 * A log like Redis over `backing`: ids are assigned at once, but replay
 * reads and live deliveries happen later, in whatever order the scheduler
 * picks (deliveries keep their own order, as a stream follower's do). Its
 * replay pages hold `pageSize` entries at most, so a replay takes several reads.
 */
function asyncLog(s: fc.Scheduler, backing: HubLog, pageSize: number): HubLog {
  const undelivered: HubEntry[] = [];
  const listeners = new Set<(entry: HubEntry) => void>();
  backing.follow((entry) => {
    undelivered.push(entry);
    s.schedule(Promise.resolve(), 'deliver').then(() => {
      const next = undelivered.shift()!;
      for (const listener of listeners) listener(next);
    });
  });
  return {
    append: (topics, body) => backing.append(topics, body),
    follow(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    read: (cursor, topics, limits) =>
      s
        .schedule(Promise.resolve(), 'read')
        .then(() =>
          backing.read(cursor, topics, { ...limits, entries: Math.min(limits.entries, pageSize) }),
        ),
    compare: backing.compare,
    close: () => backing.close?.(),
  };
}

const topicSet = fc.subarray(['a', 'b', 'c'], { minLength: 1 });

/**
 * Runs the property `numRuns` times, each on a fresh log from `makeLog`
 * (which must keep at least 30 entries); rejects with fast-check's report
 * (the counterexample) when a run fails. Resolves to the number of runs.
 * `shrink: false` reports the first failing case as it is (shrinking it
 * through a remote store takes long).
 */
export async function checkReplayProperty(
  makeLog: () => HubLog,
  numRuns: number,
  { shrink = true } = {},
): Promise<number> {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.scheduler(),
      fc.array(topicSet, { minLength: 1, maxLength: 12 }),
      fc.array(topicSet, { maxLength: 12 }),
      fc.nat(),
      topicSet,
      fc.integer({ min: 1, max: 4 }),
      async (s, before, during, cursorPick, subscribed, pageSize) => {
        runs++;
        const log = asyncLog(s, makeLog(), pageSize);
        const hub = createHub({ log });
        const published: { id: string; topics: string[] }[] = [];
        for (const topics of before) published.push({ id: await hub.publish(topics, 'x'), topics });
        // The client last saw one of the earlier messages; some of them may not
        // even have reached this process's follower yet.
        const cursor = published[cursorPick % published.length]!.id;
        const subscription = hub.subscribe(subscribed, { lastEventId: cursor });
        const got: string[] = [];
        const reading = (async () => {
          for await (const message of subscription) got.push(/^id: (.*)$/m.exec(message.text)![1]!);
        })();
        for (const topics of during) {
          s.schedule(Promise.resolve(), 'publish').then(async () => {
            published.push({ id: await hub.publish(topics, 'x'), topics });
          });
        }
        // A page taken asks for the next one: run until nothing is left to do.
        do {
          await s.waitAll();
          await new Promise((resolve) => setTimeout(resolve, 0));
        } while (s.count() > 0);
        const wanted = published
          .filter(
            ({ id, topics }) =>
              log.compare(id, cursor) > 0 && topics.some((t) => subscribed.includes(t)),
          )
          .map(({ id }) => id);
        await subscription.return();
        await reading;
        await hub.close({ grace: 0 });
        if (JSON.stringify(got) !== JSON.stringify(wanted)) {
          throw new Error(`got ${JSON.stringify(got)}, wanted ${JSON.stringify(wanted)}`);
        }
      },
    ),
    { numRuns, endOnFailure: !shrink },
  );
  return runs;
}
