import { defineConfig } from 'vitest/config';

// The runtime suite: vitest runs in Node and drives each real runtime (Node,
// Deno, Bun, workerd) as a child process over HTTP on loopback. Its own
// config so `test:unit` stays fast and this can run on its own.
export default defineConfig({
  test: {
    name: 'runtimes',
    include: ['test/runtimes/**/*.test.ts'],
    environment: 'node',
    // The work is in the child runtimes, mostly waiting on sockets and timers.
    maxWorkers: 4,
    testTimeout: 10_000,
  },
});
