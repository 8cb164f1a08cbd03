// Which Node binary a benchmark runs under.
import { existsSync } from 'node:fs';
import { nodeBinaryPath } from '../test/node-lines.mjs';

/**
 * The binary for `choice`: a Node line (`'24'`), a path to a binary, or
 * nothing for the Node running this script. A line that is not installed is
 * an error that says how to install it.
 */
export function benchNode(choice) {
  if (!choice) return process.execPath;
  if (!/^\d+$/.test(choice)) return choice;
  if (process.versions.node.split('.')[0] === choice) return process.execPath;
  const binary = nodeBinaryPath(choice);
  if (existsSync(binary)) return binary;
  throw new Error(
    `BENCH_NODE=${choice}: Node ${choice} is not installed. Run \`node test/node-lines.mjs install\`, or pass a binary's path.`,
  );
}
