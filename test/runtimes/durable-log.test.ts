/**
 * The durable log of ssekit/durable-objects on real workerd (miniflare): the
 * contract of every log (with the hub's replay property), its ids of its
 * own (the two shards, a 0.2.0 table migrated, a hub made at a
 * module's top level), and its row bound, which counts the topics, on both
 * sides of the bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { contractChecks } from '../core/hub-log-contract.ts';
import { type Instance, messages, start } from './durable-instance.ts';
import { open } from './harness.ts';

const persist = mkdtempSync(join(tmpdir(), 'ssekit-do-log-'));
afterAll(() => rmSync(persist, { recursive: true, force: true }));

describe('the durable log on workerd', () => {
  let instance: Instance;
  beforeAll(async () => {
    instance = await start(true, persist);
  }, 30_000);
  afterAll(() => instance?.stop());

  test('a hub made at a Worker module’s top level publishes: its epoch is made in the request', async () => {
    const response = await fetch(`${instance.url}/top-level-hub`);
    const { ids, first } = (await response.json()) as { ids: string[]; first: string };
    expect(ids[0]).toMatch(/^[0-9a-z]{14}-1$/);
    expect(ids[1]).toBe(`${ids[0]!.slice(0, 14)}-2`);
    expect(first).toBe(`id: ${ids[0]}\ndata: one\n\n`);
  });

  test('the durable log keeps the contract of every log, and the hub’s replay property holds on it', async () => {
    const stub = await instance.stub('TEST', 'contract');
    expect(await stub.logContract(60)).toEqual(
      contractChecks({ bounds: { maxEntries: 'exact', maxBytes: 'exact', maxAge: 'exact' } }),
    );
  }, 60_000);

  test('a client that moves from shard late to shard early gets reset, not a replay from the wrong place', async () => {
    // The case: two shards created 100 ms apart, the same 200
    // messages published to both; the client last saw message 50 on `late`.
    const early = await instance.stub('TEST', 'shard-early');
    await early.stats();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const late = await instance.stub('TEST', 'shard-late');
    await late.stats();
    const ids: { early: string[]; late: string[] } = { early: [], late: [] };
    for (let n = 0; n < 200; n++) {
      const message = { event: 'msg', data: String(n) };
      ids.early.push(await early.publish('t', message));
      ids.late.push(await late.publish('t', message));
    }
    // (And messages 0 and 10: how far ids of the one land in the other
    // depends on how far apart the two began.)
    for (const seen of [50, 10, 0]) {
      const moved = await open(instance.url, '/events?hub=shard-early&topic=t', {
        'last-event-id': ids.late[seen]!,
      });
      await moved.until((s) => s.events.some((event) => event.id !== undefined), 5000);
      const first = moved.events.find((event) => event.id !== undefined)!;
      expect(messages(moved)).toEqual([]);
      expect(first).toMatchObject({ event: 'reset', id: ids.early[199] });
      moved.disconnect();
    }
  }, 30_000);

  test('a state table of an earlier version gets an epoch: its bare ids get one reset, ids go on', async () => {
    const stub = await instance.stub('TEST', 'migrate');
    // The tables as 0.2.0 laid them out, with two entries kept.
    await stub.sql(
      'CREATE TABLE legacy (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, topics TEXT NOT NULL, size INTEGER NOT NULL, body BLOB NOT NULL)',
    );
    await stub.sql(
      'CREATE TABLE legacy_state (one INTEGER PRIMARY KEY CHECK (one = 1), origin INTEGER NOT NULL, floor INTEGER NOT NULL, last INTEGER NOT NULL)',
    );
    await stub.sql('INSERT INTO legacy_state VALUES (1, 1000, 1000, 1002)');
    for (const id of [1001, 1002]) {
      await stub.sql(
        'INSERT INTO legacy VALUES (?, ?, ?, ?, CAST(? AS BLOB))',
        id,
        Date.now(),
        't',
        20,
        `data: old${id}\n\n`,
      );
    }
    const next = await stub.appendTo('legacy', 't', 'new');
    expect(next).toMatch(/^[0-9a-z]{14}-1003$/);
    const epoch = next.slice(0, 14);
    expect(await stub.appendTo('legacy', 't', 'newer')).toBe(`${epoch}-1004`);
    // A cursor of the earlier version: one reset, to the head.
    expect(await stub.readFrom('legacy', '1001', 't')).toEqual({
      tooOld: true,
      head: `${epoch}-1004`,
      ids: [],
    });
    // The entries it kept stay, under the epoch.
    expect(await stub.readFrom('legacy', `${epoch}-1001`, 't')).toEqual({
      tooOld: false,
      head: `${epoch}-1004`,
      ids: [`${epoch}-1002`, `${epoch}-1003`, `${epoch}-1004`],
    });
  });

  test('the row bound counts the topics: 2 MiB of message and topic bytes is kept, a byte more is sent live only', async () => {
    const stub = await instance.stub('TEST', 'rows');
    const bound = 2 * 1024 * 1024;
    let table = 0;
    for (const [count, length] of [
      [1, 1],
      [100, 200],
      [1100, 100],
    ] as const) {
      for (const [row, kept] of [
        [bound, true],
        [bound + 1, false],
      ] as const) {
        const result = await stub.row(`rows_${++table}`, count, length, row);
        expect({ count, length, row, ...result }).toEqual({
          count,
          length,
          row,
          delivered: [row],
          kept,
        });
      }
    }
    // The case: a message just under 2 MiB to 1,100 topics (SQLITE_TOOBIG before).
    const topicBytes = 1100 * 101 - 1;
    const result = await stub.row('rows_issue', 1100, 100, bound - 2048 + topicBytes);
    expect(result).toEqual({ delivered: [bound - 2048 + topicBytes], kept: false });
  }, 30_000);
});
