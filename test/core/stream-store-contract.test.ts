import { describe, expect, test } from 'vitest';
import { createMemoryStreamStore } from '../../src/resumable/index.ts';
import { checkStreamStoreContract, streamStoreChecks } from './stream-store-contract.ts';

describe('the memory stream store keeps the contract of every store', () => {
  test('claims, fenced appends, the end as an entry, leases, bounds, retention, ids', async () => {
    expect(await checkStreamStoreContract({ create: () => createMemoryStreamStore() })).toEqual(
      streamStoreChecks,
    );
  }, 30_000);
});
