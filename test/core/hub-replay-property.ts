/**
 * The hub's replay property, on any log: a subscriber that resumes from a
 * cursor while messages keep coming gets every message after the cursor on
 * its topics, once, in order, whatever the interleaving of replay reads,
 * live deliveries and publishes. Plain code with no test runner in it, so
 * that it also runs inside workerd. The log contract runs it on every log
 * (test/core/hub-log-contract.ts); test/core/hub-replay.test.ts runs it
 * longer on the memory log.
 */
import fc from 'fast-check';
import { createHub, type HubEntry, type HubLog } from '../../src/hub/index.ts';

/** What the backing log still has in hand: reads and appends under way, entries it followed. */
interface InFlight {
  calls: number;
  followed: number;
}

/**
 * A log like Redis over `backing`: ids are assigned at once, but replay
 * reads and live deliveries happen later, in whatever order the scheduler
 * picks (deliveries keep their own order, as a stream follower's do). Its
 * replay pages hold `pageSize` entries at most, so a replay takes several
 * reads. `busy` counts what `backing` itself has not answered yet: a log
 * over a network answers later than the scheduler releases the call.
 */
function asyncLog(s: fc.Scheduler, backing: HubLog, pageSize: number, busy: InFlight): HubLog {
  const undelivered: HubEntry[] = [];
  const listeners = new Set<(entry: HubEntry) => void>();
  const counted = async <T>(call: () => T | Promise<T>): Promise<T> => {
    busy.calls++;
    try {
      return await call();
    } finally {
      busy.calls--;
    }
  };
  backing.follow((entry) => {
    busy.followed++;
    undelivered.push(entry);
    s.schedule(Promise.resolve(), 'deliver').then(() => {
      const next = undelivered.shift()!;
      for (const listener of listeners) listener(next);
    });
  });
  return {
    append: (topics, body) => counted(() => backing.append(topics, body)),
    follow(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    read: (cursor, topics, limits) =>
      s.schedule(Promise.resolve(), 'read').then(() =>
        counted(() =>
          backing.read(cursor, topics, {
            ...limits,
            entries: Math.min(limits.entries, pageSize),
          }),
        ),
      ),
    compare: backing.compare,
    close: () => backing.close?.(),
  };
}

const topicSet = fc.subarray(['a', 'b', 'c'], { minLength: 1 });

/**
 * Runs the property `numRuns` times, each on a fresh log from `makeLog`
 * (which must keep at least 30 entries, and whose `follow` delivers every
 * entry appended to it); rejects with fast-check's report
 * (the counterexample) when a run fails. Resolves to the number of runs.
 * `shrink: false` reports the first failing case as it is (shrinking it
 * through a remote store takes long).
 */
export async function checkReplayProperty(
  makeLog: () => HubLog | Promise<HubLog>,
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
        const busy: InFlight = { calls: 0, followed: 0 };
        const log = asyncLog(s, await makeLog(), pageSize, busy);
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
        let publishing = 0;
        for (const topics of during) {
          publishing++;
          s.schedule(Promise.resolve(), 'publish').then(async () => {
            published.push({ id: await hub.publish(topics, 'x'), topics });
            publishing--;
          });
        }
        const wanted = () =>
          published
            .filter(
              ({ id, topics }) =>
                log.compare(id, cursor) > 0 && topics.some((t) => subscribed.includes(t)),
            )
            .map(({ id }) => id);
        // A page taken asks for the next one: run until nothing is left to
        // do, no call is out, every entry was followed and, when all goes
        // well, the subscriber has what it wants (3 s at most for that, 10
        // s in all: a run that fails ends).
        const start = Date.now();
        let pending = true;
        while (pending && Date.now() - start < 10_000) {
          await s.waitAll();
          await new Promise((resolve) => setTimeout(resolve, 0));
          pending =
            s.count() > 0 ||
            publishing > 0 ||
            busy.calls > 0 ||
            busy.followed < published.length ||
            (got.length < wanted().length && Date.now() - start < 3000);
        }
        await subscription.return();
        await reading;
        await hub.close({ grace: 0 });
        if (JSON.stringify(got) !== JSON.stringify(wanted())) {
          throw new Error(`got ${JSON.stringify(got)}, wanted ${JSON.stringify(wanted())}`);
        }
      },
    ),
    { numRuns, endOnFailure: !shrink },
  );
  return runs;
}
