import { bin, fixture, spawnServer } from './harness.ts';
import { runtimeSuite } from './suite.ts';

// Deno runs the TypeScript sources as they are.
runtimeSuite({
  quiet: true,
  name: 'deno (ssekit/deno serve)',
  start: () =>
    spawnServer(bin('deno'), ['run', '--allow-net', '--no-lock', '--quiet', fixture('deno.ts')]),
});
