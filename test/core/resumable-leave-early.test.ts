// A client that leaves before the first byte of its answer (the body is
// cancelled unread: a fetch aborted at once, a POST whose handler drops the
// start's response) lets go of its watch on the store. Otherwise each such
// request would hold a listener until the stream's retention ran out: a
// hostile client could grow the store's memory without bound.
import { expect, test } from 'vitest';
import { createMemoryStreamStore, createResumableStreams } from '../../src/resumable/index.ts';
import type { StreamStore } from '../../src/resumable/stream-store.ts';

/** The store, counting its watches still in place. */
function counted(store: StreamStore) {
  let watching = 0;
  const watch = store.watch.bind(store);
  store.watch = (id, listener) => {
    watching++;
    let stopped = false;
    const stop = watch(id, listener);
    return () => {
      if (!stopped) watching--;
      stopped = true;
      stop();
    };
  };
  return { store, watching: () => watching };
}

test('a start or resume cancelled before it was read stops watching the stream', async () => {
  const { store, watching } = counted(createMemoryStreamStore());
  const streams = createResumableStreams({ store });
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const started = await streams.start('answer-1', async function* () {
    yield { data: 'first' };
    await held;
    yield { data: 'last' };
  });
  const resumes = await Promise.all(Array.from({ length: 10 }, () => streams.resume('answer-1')));
  await started.body!.cancel();
  for (const response of resumes) await response.body!.cancel();
  release();
  await expect.poll(() => streams.status('answer-1')).toBe('done');
  expect(watching()).toBe(0);
  // One read to the end: its watch goes too.
  const text = await (await streams.resume('answer-1')).text();
  expect(text).toContain('data: last\n\n');
  expect(watching()).toBe(0);
});
