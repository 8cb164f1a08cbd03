import { defineConfig } from 'tsup';

/** One entry per subpath export; each is built as ESM and CJS with types. */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    client: 'src/client/index.ts',
    node: 'adapters/runtimes/node/index.ts',
    deno: 'adapters/runtimes/deno.ts',
    bun: 'adapters/runtimes/bun/index.ts',
    workers: 'adapters/runtimes/workers.ts',
    middleware: 'src/middleware/index.ts',
    'node-compress': 'adapters/runtimes/node-compress.ts',
    hub: 'src/hub/index.ts',
    resumable: 'src/resumable/index.ts',
    mcp: 'src/mcp/index.ts',
    redis: 'adapters/logs/redis/index.ts',
    'durable-objects': 'adapters/logs/durable-objects/index.ts',
    tail: 'adapters/jobs/tail/index.ts',
  },
  // workerd's built-in module: there at run time, never bundled.
  external: ['cloudflare:workers'],
  // Keep `node:` on built-in imports as written: bundlers and runtimes that
  // resolve only prefixed built-ins (Workers, Deno, esbuild's neutral
  // platform) fail on a bare `events` or `zlib`.
  removeNodeProtocol: false,
  format: ['esm', 'cjs'],
  // @internal names stay out of the published types (see test/node/published.test.ts).
  dts: { compilerOptions: { stripInternal: true } },
  clean: true,
  // No source maps: the build is not minified, so a stack trace into dist/
  // reads as the source does; maps would carry the whole source again (their
  // sourcesContent) and double the install (docs/install.md).
  sourcemap: false,
  target: 'es2022',
  treeshake: true,
  splitting: true,
});
