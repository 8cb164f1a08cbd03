import { afterEach, describe, expect, test, vi } from 'vitest';
import { createHub, createMemoryLog } from '../../src/hub/index.ts';
import { take } from './hub-helpers.ts';
import { checkLogContract, contractChecks, type LogUnderTest } from './hub-log-contract.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the memory log keeps the contract of every log', () => {
  test('ids of its own, replay, pages, its three bounds, follow and close', async () => {
    const subject: LogUnderTest = {
      create: (bounds) => createMemoryLog(bounds),
      recreate: () => createMemoryLog(),
      bounds: { maxEntries: 'exact', maxBytes: 'exact', maxAge: 'exact' },
    };
    expect(await checkLogContract(subject)).toEqual(contractChecks(subject));
  }, 30_000);

  test('logs made in the same millisecond still have epochs of their own', () => {
    // Many processes started together (a cluster's workers, isolates whose
    // clock stands still): only the random part tells their logs apart.
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const epochs = new Set<string>();
    const count = 5000;
    for (let n = 0; n < count; n++) {
      const id = createMemoryLog().append(['t'], 'data: x\n\n') as string;
      epochs.add(id.slice(0, id.lastIndexOf('-')));
    }
    expect(epochs.size).toBe(count);
  });

  test('a hub tells a client with another hub’s id to reset, whatever the counters say', async () => {
    const [late, early] = [createHub(), createHub()];
    const ids: [string[], string[]] = [[], []];
    for (let n = 0; n < 200; n++) {
      ids[0].push(await late.publish('t', String(n)));
      ids[1].push(await early.publish('t', String(n)));
    }
    const moved = early.subscribe('t', { lastEventId: ids[0][50] });
    expect(await take(moved, 1)).toEqual([`event: reset\nid: ${ids[1][199]}\ndata: \n\n`]);
    await Promise.all([late.close({ grace: 0 }), early.close({ grace: 0 })]);
  });
});
