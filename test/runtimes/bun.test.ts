import { bin, fixture, spawnServer } from './harness.ts';
import { runtimeSuite } from './suite.ts';

// Bun runs the TypeScript sources as they are.
runtimeSuite({
  quiet: true,
  name: 'bun (ssekit/bun serve)',
  start: () => spawnServer(bin('bun'), ['run', fixture('bun.ts')]),
});
