import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TARBALL_BUDGET } from '../../bench/_size.ts';
import { packRepository, type Tarball } from '../../bench/_tarball.ts';
import config from '../../tsup.config.ts';
import { describeInstalled, type EntryExports } from './published-install.ts';

// What ships is what `npm pack` makes: a copy of the repository is packed
// (its `prepack` builds dist/ with tsup), and the built files are read from
// the packed copy. The tarball itself is then installed and used, in
// published-install.ts.
const root = new URL('../..', import.meta.url).pathname;
const entries = (config as { entry: Record<string, string> }).entry;
const names = Object.keys(entries);

// Entries that run on Node only. Every other entry is web-standard and
// imports no `node:` module; only durable-objects imports anything at all
// (workerd's own module).
const NODE_ENTRIES = ['node', 'node-compress', 'tail'];
const RUNTIME_MODULES: Record<string, string[]> = { 'durable-objects': ['cloudflare:workers'] };

let tarball: Tarball | undefined;
let scratch = '';
// The packed copy (package.json, README.md, LICENSE, dist/) and its build.
let pkg = '';
let out = '';

beforeAll(() => {
  tarball = packRepository(root);
  pkg = tarball.copy;
  scratch = join(pkg, '..');
  out = join(pkg, 'dist');
}, 240_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

const built = (suffix: string) => readdirSync(out).filter((file) => file.endsWith(suffix));
const read = (file: string) => readFileSync(join(out, file), 'utf8');

// Every module a built file names: static and dynamic imports, re-exports, requires.
const SPECIFIER =
  /\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\brequire\(\s*["']([^"']+)["']\s*\)/g;
function specifiers(file: string): string[] {
  // A module name has no spaces or commas: a match inside a message's text
  // (`… from ", "`) is not an import.
  return [...read(file).matchAll(SPECIFIER)]
    .map((match) => match.slice(1).find(Boolean)!)
    .filter((specifier) => /^[\w@.:/-]+$/.test(specifier));
}

/** The modules outside the package that an entry reaches, through its chunks. */
function reaches(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  return specifiers(file).flatMap((specifier) =>
    specifier.startsWith('./') ? reaches(specifier.slice(2), seen) : [specifier],
  );
}

describe('the published code imports built-ins as the source does (node: prefix)', () => {
  const bare = new Set(builtinModules.filter((name) => !name.startsWith('node:')));

  test('no built JS file, ESM or CJS, imports a built-in without node:', () => {
    const files = [...built('.js'), ...built('.cjs')];
    expect(files.length).toBeGreaterThanOrEqual(names.length * 2);
    const offenders = files.flatMap((file) =>
      specifiers(file)
        .filter((specifier) => bare.has(specifier) || bare.has(specifier.split('/')[0]!))
        .map((specifier) => `${file}: ${specifier}`),
    );
    expect(offenders).toEqual([]);
  });

  for (const format of ['.js', '.cjs']) {
    test(`only the Node entries import node: modules, and nothing but runtime modules is external (${format})`, () => {
      const importsNode = names.filter((name) =>
        reaches(name + format).some((specifier) => specifier.startsWith('node:')),
      );
      expect(importsNode).toEqual(NODE_ENTRIES.filter((name) => name in entries));
      for (const name of names) {
        const others = reaches(name + format).filter((specifier) => !specifier.startsWith('node:'));
        expect([name, [...new Set(others)]]).toEqual([name, RUNTIME_MODULES[name] ?? []]);
      }
    });
  }
});

// The program of the source entries, as tsconfig.json compiles them (no
// lib: only names are read from it, not checked).
const sources = once(() => {
  const { options } = ts.parseJsonConfigFileContent(
    ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config,
    ts.sys,
    root,
  );
  const files = names.map((name) => join(root, entries[name]!));
  return ts.createProgram(
    [...files, join(root, 'adapters/logs/durable-objects/cloudflare-workers.d.ts')],
    {
      ...options,
      noLib: true,
      types: [],
    },
  );
});

describe('the published types hold the documented API only', () => {
  // The built declarations as a package user's compiler reads them: ESM and
  // CJS, strict, every .d.ts checked (no skipLibCheck), Node's types present
  // (ssekit/node names them). `cloudflare:workers` comes from the user's
  // @cloudflare/workers-types or `wrangler types`; a stub of the part
  // ssekit/durable-objects uses stands in for it here.
  const declarations = once(() => {
    const stub = join(pkg, 'cloudflare-workers-stub.d.ts');
    writeFileSync(
      stub,
      `declare module 'cloudflare:workers' {
  export abstract class DurableObject<Env = unknown> {
    protected ctx: unknown;
    protected env: Env;
    constructor(ctx: unknown, env: Env);
    fetch?(request: Request): Response | Promise<Response>;
  }
}
`,
    );
    const files = [...built('.d.ts'), ...built('.d.cts')].map((file) => join(out, file));
    // package.json's "type": "module" makes the .d.ts files ESM, as for a user.
    return ts.createProgram([...files, stub], {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
    });
  });

  const isInternal = (node: ts.Node) =>
    ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'internal');
  const exportsOf = (program: ts.Program, file: string) => {
    const checker = program.getTypeChecker();
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    return checker.getExportsOfModule(module).map((symbol) => {
      const target =
        symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return { name: symbol.name, declarations: target.declarations ?? [] };
    });
  };
  const memberName = (member: ts.ClassElement | ts.TypeElement) =>
    member.name ? member.name.getText() : ts.isConstructorDeclaration(member) ? 'constructor' : '';

  test('no declaration file carries an @internal tag', () => {
    const files = [...built('.d.ts'), ...built('.d.cts')];
    expect(files.length).toBeGreaterThanOrEqual(names.length * 2);
    expect(files.filter((file) => read(file).includes('@internal'))).toEqual([]);
  });

  test('every entry exports exactly what its source entry exports, none of it @internal', () => {
    const program = sources();
    const types = declarations();
    for (const name of names) {
      const source = exportsOf(program, join(root, entries[name]!));
      const internal = source.filter((symbol) => symbol.declarations.some(isInternal));
      expect([name, internal.map((symbol) => symbol.name)]).toEqual([name, []]);
      const expected = source.map((symbol) => symbol.name).sort();
      for (const file of [`${name}.d.ts`, `${name}.d.cts`]) {
        const shipped = exportsOf(types, join(out, file)).map((symbol) => symbol.name);
        expect([file, shipped.sort()]).toEqual([file, expected]);
      }
    }
  }, 60_000);

  test('no @internal member of a public class or interface is published', () => {
    const program = sources();
    const types = declarations();
    const members = (declarations: ts.Declaration[], keep: (node: ts.Node) => boolean) =>
      declarations.flatMap((declaration) =>
        ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration)
          ? (declaration.members as ts.NodeArray<ts.ClassElement | ts.TypeElement>)
              .filter(keep)
              .map(memberName)
          : [],
      );
    let checked = 0;
    for (const name of names) {
      const internal = new Map(
        exportsOf(program, join(root, entries[name]!)).map((symbol) => [
          symbol.name,
          members(symbol.declarations, isInternal),
        ]),
      );
      for (const file of [`${name}.d.ts`, `${name}.d.cts`]) {
        for (const symbol of exportsOf(types, join(out, file))) {
          const hidden = internal.get(symbol.name) ?? [];
          checked += hidden.length;
          const shipped = members(symbol.declarations, () => true);
          const leaked = shipped.filter((member) => hidden.includes(member));
          expect([file, symbol.name, leaked]).toEqual([file, symbol.name, []]);
        }
      }
    }
    expect(checked).toBeGreaterThan(0); // the source has @internal members to keep out
  }, 60_000);

  // The hub's bookkeeping on each subscription, named in the issue that hid it.
  const PLUMBING = [
    'stamp',
    'deadline',
    'start(',
    'offer(',
    'drain(',
    'end()',
    '_idle',
    'OUTLET',
    'RESUME',
  ];

  test("Subscription's plumbing stays out of ssekit/hub", () => {
    for (const file of ['hub.d.ts', 'hub.d.cts']) {
      const text = read(file);
      const subscription = text.slice(text.indexOf('declare class Subscription'));
      const body = subscription.slice(0, subscription.indexOf('\n}\n'));
      expect(body).toContain('topics');
      for (const member of PLUMBING)
        expect([file, member, body.includes(member)]).toEqual([file, member, false]);
    }
  });

  test('the declarations type-check as a user compiles them (strict, skipLibCheck off)', () => {
    const program = declarations();
    const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) =>
      ts.formatDiagnostic(diagnostic, {
        getCanonicalFileName: (file) => file,
        getCurrentDirectory: () => out,
        getNewLine: () => '\n',
      }),
    );
    expect(errors).toEqual([]);
  }, 60_000);
});

describe('the package holds the build, its README, LICENSE and package.json, nothing else', () => {
  test('the tarball lists dist/, README.md, LICENSE and package.json, and every export target', () => {
    const files = tarball!.files;
    const extra = files.filter(
      (file) =>
        !file.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(file),
    );
    expect(extra).toEqual([]);
    expect(files).toContain('README.md');
    expect(files).toContain('LICENSE');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 the ssekit authors\n/,
    );
    // No source maps: see docs/install.md (the build is readable as it is).
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    // Every file the exports map (and main, module, types) points at ships.
    const pointed = targets().filter((target) => target !== 'package.json');
    expect(pointed.filter((target) => !files.includes(target))).toEqual([]);
    // And every entry tsup builds has its subpath.
    for (const name of names) expect(pointed).toContain(`dist/${name}.js`);
  });

  test(`the tarball stays within its budget (${TARBALL_BUDGET.packed} bytes packed, ${TARBALL_BUDGET.unpacked} unpacked)`, () => {
    expect(tarball!.packed).toBeLessThanOrEqual(TARBALL_BUDGET.packed);
    expect(tarball!.unpacked).toBeLessThanOrEqual(TARBALL_BUDGET.unpacked);
  });
});

const manifest = () => JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
function targets(): string[] {
  const { main, module, types, exports } = manifest();
  const flat = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : Object.values(value as Record<string, unknown>).flatMap(flat);
  return [main, module, types, ...flat(exports)].map((target: string) =>
    target.replace(/^\.\//, ''),
  );
}

/** Each entry's subpath, from the exports map, and the names its source exports. */
function entryExports(): EntryExports[] {
  const exports = manifest().exports as Record<string, { import?: { default?: string } }>;
  const program = sources();
  const checker = program.getTypeChecker();
  return names.map((name) => {
    const subpath = Object.keys(exports).find(
      (key) => exports[key]!.import?.default === `./dist/${name}.js`,
    );
    expect([name, subpath]).not.toEqual([name, undefined]);
    const module = checker.getSymbolAtLocation(program.getSourceFile(join(root, entries[name]!))!)!;
    const values: string[] = [];
    const types: string[] = [];
    for (const symbol of checker.getExportsOfModule(module)) {
      const target =
        symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      (target.flags & ts.SymbolFlags.Value ? values : types).push(symbol.name);
    }
    return { specifier: `ssekit${subpath!.slice(1)}`, values, types };
  });
}

describeInstalled(
  () => tarball!.file,
  once(entryExports),
  () => scratch,
  join(root, 'node_modules/@types'),
);
