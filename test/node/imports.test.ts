import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

// What may import what, checked for every file under src/ and adapters/ (the
// README's "Layering" section draws it):
//
//   adapters/<kind>/    4  runtimes/, logs/, jobs/: one room per entry (a folder,
//                          or one file when small); the only place that imports
//                          a runtime or an engine
//   src/middleware/ src/resumable/ src/mcp/
//                       3  compose, compress, etag, event transforms, the relay;
//                          resumable streams (on the server, the parser, the logs' epochs);
//                          MCP event stores (the epochs, the stream ids)
//   src/server/ src/client/ src/hub/
//                       2  side by side on the wire
//   src/wire/           1  the SSE wire format, both directions
//   src/*.ts (errors, checks, signal)
//                       0  the base: the errors, the option checks, sleep/abortable
//
// A file imports only from its own layer or a lower one. Entries (src/index.ts,
// which is the `ssekit` entry and sits with the server, and src/<dir>/index.ts,
// which sit with their folder) are lists for users: no file in src/ imports
// one, it imports the module that defines the name. src/ imports no runtime and
// no package (web-standard, zero dependencies). Adapters import `node:*` and
// `cloudflare:workers` but no package; a room imports its own files and its
// kind's `common/`, never another room's, and reaches src/ through its
// entries, the base, and the internal modules listed for it in INTERNAL below.
// And no import closes a circle, not even a type import.

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The layer of a repository path, or undefined for a path no layer claims. */
function layerOf(path: string): number | undefined {
  if (path.startsWith('adapters/')) return 4;
  if (/^src\/(middleware|resumable|mcp)\//.test(path)) return 3;
  if (/^src\/(server|client|hub)\//.test(path) || path === 'src/index.ts') return 2;
  if (path.startsWith('src/wire/')) return 1;
  if (/^src\/[^/]+\.ts$/.test(path)) return 0;
  return undefined;
}

const isEntry = (path: string) => /^src\/([^/]+\/)?index\.ts$/.test(path);

/**
 * The room of an adapter file: the folder of its entry
 * (`adapters/<kind>/<name>/`), or the file itself when the entry is one file
 * (`adapters/runtimes/deno.ts`); a kind's `common/` folder is the one private
 * place its rooms share code. Undefined for a file in no kind's folder.
 */
function roomOf(path: string): string | undefined {
  const match = /^adapters\/(runtimes|logs|jobs)\/([^/]+)(\/)?/.exec(path);
  if (!match) return undefined;
  return match[3] ? `adapters/${match[1]}/${match[2]}/` : path;
}

/**
 * The internal modules of src/ (neither an entry nor the base) each adapter
 * room may import, and why. Exact both ways: an import not listed fails, and
 * so does a listed module the room no longer imports.
 */
const INTERNAL: Record<string, readonly string[]> = {
  // The FetchHandler type, the abort watch shared by many streams, the
  // content-type test, the direct path protocol (@internal: the light watch
  // of a client leaving, Node's response as its sink) and the
  // connection-only header list.
  'adapters/runtimes/node/': [
    'src/middleware/compose.ts',
    'src/server/direct.ts',
    'src/server/headers.ts',
    'src/server/signal-watch.ts',
    'src/wire/content-type.ts',
  ],
  // The Compressor interface it implements.
  'adapters/runtimes/node-compress.ts': ['src/middleware/compressor.ts'],
  // The direct path protocol (@internal): Bun's direct streams as its sink.
  'adapters/runtimes/bun/': ['src/server/direct.ts'],
  // The content-type test, for the adapters that handle event streams apart.
  'adapters/runtimes/common/': ['src/wire/content-type.ts'],
  'adapters/runtimes/workers.ts': ['src/wire/content-type.ts'],
  // Builds the stream of a tail with the server's own response and options;
  // joins the bytes of a line that spans reads.
  'adapters/jobs/tail/': [
    'src/server/response-options.ts',
    'src/server/response.ts',
    'src/wire/bytes.ts',
  ],
  // The hub and the server pieces an object assembles (the log contract
  // only through src/hub/index.ts, as any log's), the Last-Event-ID rule of
  // the server. Resumable streams: the stream id check that every store
  // makes before an id names anything (here, before an object is named).
  'adapters/logs/durable-objects/': [
    'src/hub/hub-checks.ts',
    'src/hub/hub-options.ts',
    'src/hub/hub.ts',
    'src/resumable/stream-id.ts',
    'src/server/context.ts',
    'src/server/last-event-id.ts',
    'src/server/response-options.ts',
    'src/server/response.ts',
    'src/wire/message.ts',
  ],
  // The hub and the resumable streams only through their entries, as any
  // log or store; and the one check of stream ids (@internal), so that the
  // stream store refuses an id with the words every store uses before the
  // id becomes part of a key.
  'adapters/logs/redis/': ['src/resumable/stream-id.ts'],
};

/**
 * Known violations, each with a comment saying what fixes it; empty since the
 * restructuring. The test fails on an entry that no longer occurs, so it
 * cannot go stale.
 */
const KNOWN = new Set<string>([]);

/** Every import of `files` (repository path to source text), by repository path. */
function importsOf(files: Record<string, string>): Record<string, string[]> {
  const graph: Record<string, string[]> = {};
  for (const [path, text] of Object.entries(files)) {
    // TypeScript's own scanner: comments, strings and JSDoc examples are not imports.
    graph[path] = ts
      .preProcessFile(text, true, true)
      .importedFiles.map(({ fileName }) =>
        fileName.startsWith('.') ? join(dirname(path), fileName) : fileName,
      );
  }
  return graph;
}

/** Every broken rule in an import graph, one sentence each. */
function violations(
  graph: Record<string, string[]>,
  internal: Record<string, readonly string[]> = INTERNAL,
): string[] {
  const found: string[] = [];
  const used = new Map<string, Set<string>>();
  for (const [from, targets] of Object.entries(graph)) {
    const own = layerOf(from);
    const room = from.startsWith('adapters/') ? roomOf(from) : undefined;
    if (own === undefined || (from.startsWith('adapters/') && !room)) {
      found.push(`${from}: in no layer; give its folder one in layerOf`);
      continue;
    }
    for (const to of targets) {
      const say = (why: string) => found.push(`${from} imports ${to}: ${why}`);
      const local = to.startsWith('src/') || to.startsWith('adapters/');
      if (!local) {
        if (from.startsWith('src/')) say('src/ imports no runtime and no package');
        else if (!/^node:|^cloudflare:workers$/.test(to)) say('adapters import no package');
        continue;
      }
      const layer = layerOf(to);
      if (layer === undefined) say('in no layer; give its folder one in layerOf');
      else if (layer > own) say(`layer ${own} may not import layer ${layer}`);
      else if (from.startsWith('src/') && isEntry(to)) {
        say('an entry; import the module that defines the name');
      } else if (room && to.startsWith('adapters/')) {
        const shared = `${room.split('/').slice(0, 2).join('/')}/common/`;
        if (roomOf(to) !== room && !to.startsWith(shared)) {
          say("another adapter's room; move what both need to their kind's common/");
        }
      } else if (room && to.startsWith('src/')) {
        if (isEntry(to) || layer === 0) continue;
        if (internal[room]?.includes(to)) {
          if (!used.has(room)) used.set(room, new Set());
          used.get(room)!.add(to);
        } else say('internal; add it to INTERNAL with a reason, or import an entry');
      }
    }
  }
  const rooms = new Set(
    Object.keys(graph)
      .map(roomOf)
      .filter((room) => room !== undefined),
  );
  for (const [room, allowed] of Object.entries(internal)) {
    if (!rooms.has(room)) continue;
    for (const module of allowed) {
      if (!used.get(room)?.has(module)) {
        found.push(`${room} no longer imports ${module}: remove it from INTERNAL`);
      }
    }
  }
  return found;
}

/**
 * Every import circle in a graph, one sentence each: a way round it from its
 * first file (by name) back to that file. Type imports count: a circle closed
 * by `import type` still means neither file can be read without the other.
 */
function circles(graph: Record<string, string[]>): string[] {
  // Tarjan's strongly connected components over the files of the graph.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    for (const to of graph[file]!.filter((to) => to in graph)) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (stack.includes(to)) {
        low.set(file, Math.min(low.get(file)!, index.get(to)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component = stack.splice(stack.indexOf(file)).sort();
    const [first] = component;
    if (component.length > 1 || graph[first!]!.includes(first!)) {
      found.push(`import circle: ${roundFrom(first!, new Set(component), graph).join(' -> ')}`);
    }
  };
  for (const file of Object.keys(graph).sort()) if (!index.has(file)) visit(file);
  return found.sort();
}

/** The shortest way from `start` back to itself inside `component`. */
function roundFrom(start: string, component: Set<string>, graph: Record<string, string[]>) {
  const from = new Map<string, string>();
  const queue = [start];
  for (const file of queue) {
    for (const to of [...new Set(graph[file])].sort()) {
      if (to === start) {
        const way: string[] = [];
        for (let at = file; at !== start; at = from.get(at)!) way.unshift(at);
        return [start, ...way, start];
      }
      if (component.has(to) && !from.has(to)) {
        from.set(to, file);
        queue.push(to);
      }
    }
  }
  return [start];
}

function listFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

const sources = Object.fromEntries(
  [...listFiles('src'), ...listFiles('adapters')]
    .filter((path) => path.endsWith('.ts'))
    .map((path) => [path, readFileSync(join(root, path), 'utf8')]),
);

// The core runs on any runtime: no Node, Deno, Bun or workerd global may
// appear under src/ either. The edge project proves it at run time for the
// paths tests reach; this catches the rest.
const RUNTIME_GLOBAL = /\b(process|Buffer|setImmediate|__dirname|Deno|Bun)\b\s*[.([]|require\(/;

test('src/ uses web-standard globals only', () => {
  const offenders = Object.entries(sources)
    .filter(([path]) => path.startsWith('src/'))
    .flatMap(([file, text]) =>
      text
        .split('\n')
        .map((line, index) => ({ file, line: index + 1, text: line }))
        .filter(({ text }) => !text.trim().startsWith('*') && !text.trim().startsWith('//'))
        .filter(({ text }) => RUNTIME_GLOBAL.test(text)),
    );
  expect(offenders).toEqual([]);
});

test('no file imports from a layer above its own, and adapters reach src/ as listed', () => {
  expect(Object.keys(sources).length).toBeGreaterThan(40);
  const found = violations(importsOf(sources));
  expect(found.filter((violation) => !KNOWN.has(violation))).toEqual([]);
  const gone = [...KNOWN].filter((violation) => !found.includes(violation));
  expect(gone, 'fixed: remove these from KNOWN').toEqual([]);
});

/**
 * Known circles, each with a comment saying what fixes it. The test fails on
 * an entry that no longer occurs, so it cannot go stale.
 */
test('no import circle in src/ or adapters/, type imports included', () => {
  expect(circles(importsOf(sources))).toEqual([]);
});

describe('the checker itself', () => {
  const check = (files: Record<string, string>) => violations(importsOf(files), {});

  test('a backwards import fails, whatever the distance', () => {
    expect(
      check({ 'src/wire/parse.ts': "import { SSEParseError } from '../client/errors.ts';" }),
    ).toEqual(['src/wire/parse.ts imports src/client/errors.ts: layer 1 may not import layer 2']);
    expect(check({ 'src/errors.ts': "import { describe } from './wire/encode.ts';" })).toEqual([
      'src/errors.ts imports src/wire/encode.ts: layer 0 may not import layer 1',
    ]);
    expect(check({ 'src/hub/hub.ts': "export * from '../middleware/compose.ts';" })).toEqual([
      'src/hub/hub.ts imports src/middleware/compose.ts: layer 2 may not import layer 3',
    ]);
    expect(
      check({
        'src/middleware/a.ts': "import type { X } from '../../adapters/runtimes/node/index.ts';",
      }),
    ).toEqual([
      'src/middleware/a.ts imports adapters/runtimes/node/index.ts: layer 3 may not import layer 4',
    ]);
  });

  test('imports down or sideways pass; comments and strings are not imports', () => {
    expect(
      check({
        'src/server/stream.ts': [
          "import { encodeMessage } from '../wire/encode.ts';",
          "import { SSEFieldError } from '../errors.ts';",
          "import type { Feed } from './feed.ts';",
          "/** @example import { serve } from 'ssekit/node'; */",
          'const text = "import x from \'../middleware/compose.ts\'";',
        ].join('\n'),
        'src/middleware/relay.ts': "import { SSEParserStream } from '../client/parser-stream.ts';",
        'adapters/logs/redis/index.ts': "import { hubEntry } from '../../../src/hub/index.ts';",
      }),
    ).toEqual([]);
  });

  test('runtimes and packages stay out of src/; adapters take no package', () => {
    expect(
      check({
        'src/wire/bytes.ts': "import { Buffer } from 'node:buffer';",
        'src/hub/log.ts': "import Redis from 'ioredis';",
        'adapters/runtimes/workers.ts': "import { DurableObject } from 'cloudflare:workers';",
        'adapters/logs/redis/index.ts': "import type { RedisClientType } from 'redis';",
      }),
    ).toEqual([
      'src/wire/bytes.ts imports node:buffer: src/ imports no runtime and no package',
      'src/hub/log.ts imports ioredis: src/ imports no runtime and no package',
      'adapters/logs/redis/index.ts imports redis: adapters import no package',
    ]);
  });

  test('src/ imports no entry; adapters reach internals only as listed, and the list is exact', () => {
    expect(
      check({ 'src/middleware/relay.ts': "import { sseResponse } from '../index.ts';" }),
    ).toEqual([
      'src/middleware/relay.ts imports src/index.ts: an entry; import the module that defines the name',
    ]);
    const graph = importsOf({
      'adapters/logs/redis/index.ts': "import { createHub } from '../../../src/hub/hub.ts';",
      'adapters/runtimes/node/index.ts': "import { onAbort } from '../../../src/server/signal.ts';",
    });
    expect(
      violations(graph, {
        'adapters/runtimes/node/': ['src/server/signal.ts', 'src/wire/encode.ts'],
      }),
    ).toEqual([
      'adapters/logs/redis/index.ts imports src/hub/hub.ts: internal; add it to INTERNAL with a reason, or import an entry',
      'adapters/runtimes/node/ no longer imports src/wire/encode.ts: remove it from INTERNAL',
    ]);
  });

  test("a room imports its own files and its kind's common/, never another room's", () => {
    expect(
      check({
        'adapters/runtimes/bun/index.ts': [
          "import { directBody } from './bun-direct.ts';",
          "import { watchStreamEnd } from '../common/stream-end.ts';",
        ].join('\n'),
        'adapters/runtimes/deno.ts': "import { watchStreamEnd } from './common/stream-end.ts';",
        'adapters/jobs/tail/tail-log.ts':
          "import { respond } from '../../runtimes/node/node-response.ts';",
        'adapters/logs/redis/index.ts': "import { sleep } from '../../runtimes/common/sleep.ts';",
        'adapters/stray.ts': '',
      }),
    ).toEqual([
      "adapters/jobs/tail/tail-log.ts imports adapters/runtimes/node/node-response.ts: another adapter's room; move what both need to their kind's common/",
      "adapters/logs/redis/index.ts imports adapters/runtimes/common/sleep.ts: another adapter's room; move what both need to their kind's common/",
      'adapters/stray.ts: in no layer; give its folder one in layerOf',
    ]);
  });

  test('a circle is found, whatever its length, closed by a type import too', () => {
    const graph = importsOf({
      'src/hub/a.ts': "import type { B } from './b.ts';",
      'src/hub/b.ts': "import { c } from './c.ts';",
      'src/hub/c.ts': "export type { A } from './a.ts';",
      'src/hub/d.ts': "import { a } from './a.ts';",
      'src/wire/e.ts': "import type { E } from './e.ts';",
    });
    expect(circles(graph)).toEqual([
      'import circle: src/hub/a.ts -> src/hub/b.ts -> src/hub/c.ts -> src/hub/a.ts',
      'import circle: src/wire/e.ts -> src/wire/e.ts',
    ]);
    expect(
      circles(
        importsOf({
          'src/hub/a.ts': "import type { B } from './b.ts';\nimport { c } from './c.ts';",
          'src/hub/b.ts': "import { c } from './c.ts';",
          'src/hub/c.ts': "import { log } from './log.ts';",
        }),
      ),
    ).toEqual([]);
  });

  test('a file in no layer is reported', () => {
    expect(
      check({ 'src/util/sleep.ts': '', 'src/wire/a.ts': "import '../util/sleep.ts';" }),
    ).toEqual([
      'src/util/sleep.ts: in no layer; give its folder one in layerOf',
      'src/wire/a.ts imports src/util/sleep.ts: in no layer; give its folder one in layerOf',
    ]);
  });
});
