import { expect, test } from 'vitest';
import { sseResponse } from '../../src/index.ts';

test('smoke', async () => {
  const res = sseResponse(async function* () {
    yield { event: 'a', data: 1 };
    yield 'x';
  });
  expect(await res.text()).toBe(':\n\nevent: a\ndata: 1\n\ndata: x\n\n');
  console.log(typeof (globalThis as any).process, typeof (globalThis as any).setImmediate);
});
