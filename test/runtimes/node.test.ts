import { bundle, spawnServer } from './harness.ts';
import { runtimeSuite } from './suite.ts';

// The machine's Node (the one running vitest), in its own process.
runtimeSuite({
  quiet: true,
  name: `node ${process.version} (ssekit/node serve)`,
  start: async () => spawnServer(process.execPath, [await bundle('node.ts', 'node')]),
});
