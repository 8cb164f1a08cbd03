// The tarball as a user gets it: installed from its file into an empty
// project (no workspace link, no registry), every entry imported by a real
// Node process in ESM and in CommonJS, and a file that uses every entry
// type-checked under NodeNext and Bundler resolution. Node is the line that
// runs the suite: `npm run test:unit` runs it on every supported line.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, test } from 'vitest';

/** An entry's names as its source exports them. */
export interface EntryExports {
  /** The subpath a user imports: `ssekit`, `ssekit/node/compress`. */
  specifier: string;
  values: string[];
  types: string[];
}

// workerd's built-in module, which ssekit/durable-objects imports: outside
// workerd a stand-in is loaded in its place, for import and for require.
const STUB =
  'export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }';
const ESM_HOOKS = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(specifier, context, next) {
  if (specifier === 'cloudflare:workers')
    return { url: 'data:text/javascript,' + encodeURIComponent(${JSON.stringify(STUB)}), shortCircuit: true };
  return next(specifier, context);
}\`));
`;
const CJS_HOOK = `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'cloudflare:workers') return { DurableObject: class DurableObject {} };
  return load.call(this, request, ...rest);
};
`;
// Each entry's file, as the process resolves it, and the names it exports.
const ESM_IMPORTS = `const loaded = {};
for (const specifier of JSON.parse(process.argv[2]))
  loaded[specifier] = { file: import.meta.resolve(specifier), names: Object.keys(await import(specifier)) };
console.log(JSON.stringify(loaded));
`;
const CJS_REQUIRES = `const loaded = {};
for (const specifier of JSON.parse(process.argv[2]))
  loaded[specifier] = { file: require.resolve(specifier), names: Object.keys(require(specifier)) };
console.log(JSON.stringify(loaded));
`;

const CLOUDFLARE_TYPES = `declare module 'cloudflare:workers' {
  export abstract class DurableObject<Env = unknown> {
    protected ctx: unknown;
    protected env: Env;
    constructor(ctx: unknown, env: Env);
    fetch?(request: Request): Response | Promise<Response>;
  }
}
`;

/** A module that imports every entry by its names, and uses each value. */
function usesEveryEntry(entries: EntryExports[]): string {
  return entries
    .map((entry, n) => {
      const as = (name: string) => `${name} as e${n}_${name}`;
      const named = [...entry.values.map(as), ...entry.types.map((name) => `type ${as(name)}`)];
      return [
        `import { ${named.join(', ')} } from '${entry.specifier}';`,
        `export const values${n} = [${entry.values.map((name) => `e${n}_${name}`).join(', ')}];`,
      ].join('\n');
    })
    .join('\n')
    .concat('\n');
}

/** The project a user starts: an empty package with the tarball installed from its file. */
function install(dir: string, tarball: string) {
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'uses-ssekit', private: true, type: 'module' }),
  );
  execFileSync(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** The compiler's errors for `files` in `dir`, as text. */
function typeErrors(dir: string, files: string[], options: ts.CompilerOptions, nodeTypes: string) {
  const program = ts.createProgram(
    files.map((file) => join(dir, file)),
    {
      strict: true,
      noEmit: true,
      // What is checked here is what a user's file resolves and names; the
      // declarations themselves are checked whole in published.test.ts.
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
      types: ['node'],
      typeRoots: [nodeTypes],
      ...options,
    },
  );
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

/**
 * The tests of the installed tarball. `tarball` and `entries` are read when
 * the tests run (after the suite's beforeAll has packed it).
 */
export function describeInstalled(
  tarball: () => string,
  entries: () => EntryExports[],
  scratch: () => string,
  nodeTypes: string,
) {
  describe('the packed tarball, installed into an empty project', () => {
    let project = '';
    const run = (args: string[]) =>
      JSON.parse(
        execFileSync(process.execPath, args, { cwd: project, encoding: 'utf8' }),
      ) as Record<string, { file: string; names: string[] }>;
    const specifiers = () => JSON.stringify(entries().map((entry) => entry.specifier));

    // npm installs from the file alone, offline: a package without dependencies needs no registry.
    beforeAll(() => {
      project = join(scratch(), 'project');
      install(project, tarball());
      writeFileSync(join(project, 'hooks.mjs'), ESM_HOOKS);
      writeFileSync(join(project, 'hook.cjs'), CJS_HOOK);
      writeFileSync(join(project, 'imports.mjs'), ESM_IMPORTS);
      writeFileSync(join(project, 'requires.cjs'), CJS_REQUIRES);
      writeFileSync(join(project, 'cloudflare-workers.d.ts'), CLOUDFLARE_TYPES);
      const source = usesEveryEntry(entries());
      writeFileSync(join(project, 'uses.ts'), source);
      writeFileSync(join(project, 'uses.cts'), source);
    }, 60_000);

    // Each from its own build: Node 20.19 and later would also require() the
    // ESM file, so the file resolved is checked, not only that it loads.
    for (const [format, args, extension] of [
      ['ESM (import)', ['--import', './hooks.mjs', 'imports.mjs'], '.js'],
      ['CommonJS (require)', ['--require', './hook.cjs', 'requires.cjs'], '.cjs'],
    ] as const) {
      test(`every entry loads in ${format} from its ${extension} build, with exactly the values its source exports`, () => {
        const loaded = run([...args, specifiers()]);
        for (const { specifier, values } of entries()) {
          const { file = '', names = [] } = loaded[specifier] ?? {};
          expect([
            specifier,
            file.includes('/node_modules/ssekit/dist/'),
            file.endsWith(extension),
          ]).toEqual([specifier, true, true]);
          const exported = names.filter((name) => name !== 'default').sort();
          expect([specifier, exported]).toEqual([specifier, [...values].sort()]);
        }
      }, 30_000);
    }

    test('a file that uses every entry type-checks under NodeNext (ESM and CommonJS)', () => {
      const errors = typeErrors(
        project,
        ['uses.ts', 'uses.cts', 'cloudflare-workers.d.ts'],
        {
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
        },
        nodeTypes,
      );
      expect(errors).toEqual([]);
    }, 60_000);

    test('a file that uses every entry type-checks under Bundler resolution', () => {
      const errors = typeErrors(
        project,
        ['uses.ts', 'cloudflare-workers.d.ts'],
        {
          module: ts.ModuleKind.ESNext,
          moduleResolution: ts.ModuleResolutionKind.Bundler,
        },
        nodeTypes,
      );
      expect(errors).toEqual([]);
    }, 60_000);
  });
}
