import { defineConfig } from 'vitest/config';

// The reliability suite (test/reliability): load, faults and hostile input
// against real servers, proxies and browsers. Node only. `npm test` runs it
// at CI scale; `npm run soak` sets SSEKIT_SCALE=full for the figures.
// One file at a time: each scenario loads the machine's two cores itself.
export default defineConfig({
  test: {
    name: 'reliability',
    include: ['test/reliability/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    execArgv: ['--expose-gc'],
    // Full scale runs fuzz properties 100,000 times: half an hour each at most.
    testTimeout: process.env.SSEKIT_SCALE === 'full' ? 1_800_000 : 120_000,
    hookTimeout: 60_000,
  },
});
