import { expect, test } from 'vitest';
import { sseResponse } from '../../src/index.ts';

// vitest runs the node project with --expose-gc (vitest.config.ts).
const gc = (globalThis as { gc?: () => void }).gc!;

test('a generator parked on a promise that never settles is not kept alive by the stream', async () => {
  let collected = false;
  const registry = new FinalizationRegistry(() => (collected = true));
  let closed = 0;
  let response: Response | undefined = (() => {
    const generator = (async function* () {
      yield 'start';
      await new Promise(() => {});
    })();
    registry.register(generator, 'generator');
    return sseResponse(generator, { onClose: () => closed++ });
  })();
  const reader = response.body!.getReader();
  await reader.read();
  await reader.read();
  const parked = reader.read();
  await new Promise((resolve) => setTimeout(resolve, 10));
  await reader.cancel();
  await parked;
  expect(closed).toBe(1);
  response = undefined;
  for (let round = 0; round < 20 && !collected; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(collected).toBe(true);
});
