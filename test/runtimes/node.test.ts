import { test } from 'vitest';
import { nodeLines, reportMissing } from '../node-lines.mjs';
import { bundle, spawnServer } from './harness.ts';
import { runtimeSuite } from './suite.ts';

// Every supported Node line, each serving the fixture in its own process:
// the machine's Node, and the lines installed by `node test/node-lines.mjs
// install`. Bundled once for all of them (es2022 runs on every line).
for (const { line, binary, missing } of nodeLines()) {
  if (!binary) {
    if (!reportMissing(missing!)) test(`Node ${line} is installed`, () => assertMissing(missing!));
    continue;
  }
  runtimeSuite({
    quiet: true,
    name: `node ${line} (ssekit/node serve)`,
    start: async () => spawnServer(binary, [await bundle('node.ts', 'node')]),
  });
}

function assertMissing(missing: string): never {
  throw new Error(`CI: ${missing}`);
}
