import { defineConfig } from 'vitest/config';

// The web-standard core (src/: wire, server, client, hub, middleware) is
// tested twice: in Node, and in the edge-runtime environment, which offers
// only web-standard globals, so a stray Node API fails there.
const webStandard = ['test/core/**/*.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: [...webStandard, 'test/node/**/*.test.ts'],
          environment: 'node',
          execArgv: ['--expose-gc'],
        },
      },
      {
        test: {
          name: 'edge',
          include: webStandard,
          environment: 'edge-runtime',
          // vmThreads runs each file inside the EdgeVM context itself, not with
          // its globals laid over Node's: `process` and friends are absent.
          pool: 'vmThreads',
          setupFiles: ['test/edge-setup.ts'],
        },
      },
    ],
  },
});
