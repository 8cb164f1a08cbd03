import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtPackage } from '../built-package.ts';
import {
  type Block,
  blocksOf,
  CHECKED,
  describe as describeError,
  type Module,
  moduleOf,
} from './docs-blocks.ts';
import { brokenLinks } from './docs-links.ts';

// Every code block of the README and the guides, type-checked as a user's
// module against the built package (`ssekit` from node_modules, its exports
// map), and every relative link followed. The conventions are in
// docs-blocks.ts and docs/contributing.md.
const root = new URL('../..', import.meta.url).pathname;
const guides = readdirSync(join(root, 'docs'))
  .filter((file) => file.endsWith('.md'))
  .map((file) => `docs/${file}`);
const DOCS = ['README.md', ...guides];

// Files of the repository a block imports, copied as its prose tells the
// reader to: next to the block, their imports of src/ made the package's.
const COPIED: Record<string, { from: string; files: RegExp; imports: Record<string, string> }> = {
  'docs/hub': {
    from: 'test/core',
    files: /^hub-(log-(bounds|contract|follow|helpers|ids|pages)|replay-property)\.ts$/,
    imports: { '../../src/hub/index.ts': 'ssekit/hub' },
  },
};

const parsed = DOCS.map((doc) => blocksOf(doc, readFileSync(join(root, doc), 'utf8')));
const blocks: Block[] = parsed.flatMap((doc) => doc.blocks);

const project = join(root, '.tmp/docs-snippets');
let modules: Module[] = [];

beforeAll(() => {
  const pkg = builtPackage();
  rmSync(project, { recursive: true, force: true });
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  // A user's project: ESM, with ssekit installed; other packages (hono,
  // redis …) resolve from the repository's node_modules above it.
  writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(pkg, join(project, 'node_modules/ssekit'), 'dir');
  const taken = new Set<string>();
  modules = blocks
    .filter((block) => CHECKED.has(block.lang))
    .map((block) => moduleOf(block, taken));
  for (const [dir, { from, files, imports }] of Object.entries(COPIED)) {
    mkdirSync(join(project, dir), { recursive: true });
    for (const file of readdirSync(join(root, from)).filter((name) => files.test(name))) {
      let text = readFileSync(join(root, from, file), 'utf8');
      for (const [source, target] of Object.entries(imports))
        text = text.replaceAll(`'${source}'`, `'${target}'`);
      writeFileSync(join(project, dir, file), text);
    }
  }
  for (const module of modules) {
    mkdirSync(dirname(join(project, module.file)), { recursive: true });
    writeFileSync(join(project, module.file), module.text);
  }
}, 180_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('the code blocks of the docs', () => {
  test('every fence names its language, every preamble precedes a checked block', () => {
    expect(parsed.flatMap((doc) => doc.problems)).toEqual([]);
    expect(blocks.filter((block) => CHECKED.has(block.lang)).length).toBeGreaterThan(40);
  });

  test('every ts, tsx and js block type-checks against the built package', () => {
    const program = ts.createProgram(
      [...modules.map((module) => join(project, module.file)), join(root, 'docs/snippets.d.ts')],
      {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        moduleDetection: ts.ModuleDetectionKind.Force,
        // A reader's lib, with a ReadableStream that `for await` reads (Node, Deno, Bun, Chrome, Firefox).
        lib: [
          'lib.es2022.d.ts',
          'lib.dom.d.ts',
          'lib.dom.iterable.d.ts',
          'lib.dom.asynciterable.d.ts',
        ],
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
        allowJs: true,
        checkJs: true,
        allowImportingTsExtensions: true,
        jsx: ts.JsxEmit.Preserve,
        // The packages' own declarations are not the docs' to check
        // (published.test.ts checks ssekit's, strict).
        skipLibCheck: true,
      },
    );
    const byFile = new Map(modules.map((module) => [join(project, module.file), module]));
    const errors: string[] = [];
    const met = new Set<string>();
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const module = diagnostic.file && byFile.get(diagnostic.file.fileName);
      if (!module) {
        errors.push(ts.formatDiagnostic(diagnostic, host));
        continue;
      }
      // A JavaScript reader does not annotate: implicit any is JavaScript's way.
      if (/\.m?js$/.test(module.file) && diagnostic.code >= 7000 && diagnostic.code < 7100)
        continue;
      const { expected, text } = describeError(module, diagnostic);
      for (const line of expected) met.add(`${module.block.doc}:${line}`);
      if (expected.length === 0) errors.push(text);
    }
    for (const module of modules) {
      for (const line of module.expected.keys()) {
        const at = `${module.block.doc}:${line}`;
        if (!met.has(at))
          errors.push(
            `${at} (the block at line ${module.block.line}): says \`// type error\`, and type-checks`,
          );
      }
    }
    expect(errors).toEqual([]);
  }, 120_000);
});

const host: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (file) => file,
  getCurrentDirectory: () => root,
  getNewLine: () => '\n',
};

test('every relative link and #anchor of the docs leads somewhere', () => {
  const docs = [...DOCS, 'CHANGELOG.md', 'RELIABILITY.md'];
  expect(brokenLinks(root, docs)).toEqual([]);
});
