// Runs an example's TypeScript server on Node 20 without a build:
//   node examples/run.mjs examples/dashboard/server.ts
// (Deno and Bun run the .ts files directly; each server says how.)
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: node examples/run.mjs examples/<name>/server.ts');
  process.exit(2);
}
register('./ts-hooks.mjs', import.meta.url);
await import(pathToFileURL(resolve(file)).href);
