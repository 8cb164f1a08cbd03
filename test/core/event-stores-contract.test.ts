import { describe, expect, test } from 'vitest';
import { createMemoryEventStores } from '../../src/mcp/index.ts';
import { checkEventStoreContract, eventStoreChecks } from './event-stores-contract.ts';

describe('the memory event stores keep the contract of every MCP event store', () => {
  test('exact replay, sessions scoped, unguessable ids, hostile ids refused, bounds', async () => {
    const subject = {
      create: (bounds = {}) => createMemoryEventStores(bounds),
      bounds: { maxEntries: true, maxAge: true },
    };
    expect(await checkEventStoreContract(subject)).toEqual(eventStoreChecks);
  }, 30_000);
});
