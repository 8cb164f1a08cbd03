/**
 * The code blocks of the docs, each made into a module of its own for the
 * compiler (test/node/docs-snippets.test.ts), and the compiler's errors
 * traced back to the line of the doc they come from.
 *
 * The conventions, as docs/contributing.md states them:
 * - every fence names its language; ```ts, ```tsx and ```js blocks are checked;
 * - `<!-- preamble: … -->` right before a fence is hidden code the block
 *   assumes (the reader's own names: `declare const model: Model;`), put
 *   before it in the same module; docs/snippets.d.ts declares what many share;
 * - a block that returns at its top level (a handler's body) is checked as the
 *   body of an async function, its imports hoisted out of it;
 * - a block whose first line is `// name.ts` is the file of that name, which
 *   the other blocks of the same doc may import (`./name.ts`);
 * - a line that says `// type error` must be one: its errors are expected,
 *   and none is a failure.
 */
import ts from 'typescript';

export const CHECKED = new Set(['ts', 'tsx', 'js']);

/** A fenced block of a doc. */
export interface Block {
  doc: string;
  /** The line of the opening fence (1-based). */
  line: number;
  lang: string;
  code: string;
  preamble: string;
}

/** The fenced blocks of a markdown text, and what is wrong with its fences. */
export function blocksOf(doc: string, text: string): { blocks: Block[]; problems: string[] } {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  const problems: string[] = [];
  let preamble: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const marker = /^<!-- preamble:(.*)$/.exec(line);
    if (marker) {
      const start = i;
      let body = marker[1]!;
      while (!body.includes('-->') && i + 1 < lines.length) body += `\n${lines[++i]}`;
      preamble = { text: body.slice(0, body.lastIndexOf('-->')).trim(), line: start + 1 };
      continue;
    }
    const fence = /^```(\S*)/.exec(line);
    if (!fence) {
      if (preamble && line.trim() !== '') {
        problems.push(`${doc}:${preamble.line}: a preamble must come right before a code block`);
        preamble = undefined;
      }
      continue;
    }
    const lang = fence[1]!;
    if (!lang)
      problems.push(`${doc}:${i + 1}: the fence names no language (\`\`\`text if it is not code)`);
    const open = i;
    const code: string[] = [];
    while (++i < lines.length && !/^```\s*$/.test(lines[i]!)) code.push(lines[i]!);
    if (i >= lines.length) problems.push(`${doc}:${open + 1}: the block is never closed`);
    if (preamble && !CHECKED.has(lang)) {
      problems.push(
        `${doc}:${preamble.line}: a preamble before a \`\`\`${lang} block, which is not checked`,
      );
    }
    blocks.push({
      doc,
      line: open + 1,
      lang,
      code: code.join('\n'),
      preamble: preamble?.text ?? '',
    });
    preamble = undefined;
  }
  return { blocks, problems };
}

/** Where a line of a generated module comes from: a line of the doc, or the block's preamble. */
type Origin = number | 'preamble' | 'wrapper';

/** A block as a module: its file name (relative), its text, and the origin of each line. */
export interface Module {
  block: Block;
  file: string;
  text: string;
  origins: Origin[];
  /**
   * Doc lines that say `// type error`, each with the doc lines of its
   * statement: the compiler may report it at the statement's start (an
   * argument that is a generator function is reported at `function*`).
   */
  expected: Map<number, { from: number; to: number }>;
}

const NAMED = /^\/\/ ([\w.-]+\.(?:ts|tsx|js|mjs))\s*$/;

/** The module a block is checked as; `taken` holds the file names already used. */
export function moduleOf(block: Block, taken: Set<string>): Module {
  const dir = block.doc.replace(/\.md$/, '');
  const lines = block.code.split('\n');
  const named = NAMED.exec(lines[0] ?? '')?.[1];
  const ext = block.lang === 'js' ? 'js' : block.lang;
  let file = named ? `${dir}/${named}` : `${dir}/L${block.line}.${ext}`;
  if (taken.has(file)) file = `${dir}/L${block.line}/${named}`;
  taken.add(file);

  // Top-level imports stay at the top; the rest is wrapped if it returns.
  const source = ts.createSourceFile('block.ts', block.code, ts.ScriptTarget.Latest, true);
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line;
  const imports = new Set<number>();
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) || ts.isImportEqualsDeclaration(statement)) {
      for (let n = lineOf(statement.getStart()); n <= lineOf(statement.getEnd()); n++)
        imports.add(n);
    }
  }
  // A `return` outside any function, at the top or in a top-level if or try.
  const returnsAtTop = (node: ts.Node): boolean =>
    ts.isReturnStatement(node) ||
    (!ts.isFunctionLike(node) &&
      !ts.isClassLike(node) &&
      ts.forEachChild(node, returnsAtTop) === true);
  const returns = source.statements.some(returnsAtTop);
  const out: { text: string; origin: Origin }[] = [];
  const docLine = (n: number) => block.line + 1 + n;
  lines.forEach((text, n) => {
    if (imports.has(n)) out.push({ text, origin: docLine(n) });
  });
  for (const text of block.preamble ? block.preamble.split('\n') : [])
    out.push({ text, origin: 'preamble' });
  if (returns) out.push({ text: 'export async function snippet() {', origin: 'wrapper' });
  lines.forEach((text, n) => {
    if (!imports.has(n)) out.push({ text, origin: docLine(n) });
  });
  if (returns) out.push({ text: '}', origin: 'wrapper' });
  out.push({ text: 'export {};', origin: 'wrapper' });

  const expected = new Map<number, { from: number; to: number }>();
  lines.forEach((text, n) => {
    if (!/\/\/ type error\b/.test(text)) return;
    const statement = source.statements.find(
      (node) => lineOf(node.getStart()) <= n && n <= lineOf(node.getEnd()),
    );
    const [from, to] = statement
      ? [lineOf(statement.getStart()), lineOf(statement.getEnd())]
      : [n, n];
    expected.set(docLine(n), { from: docLine(from), to: docLine(to) });
  });
  return {
    block,
    file,
    text: out.map((line) => line.text).join('\n'),
    origins: out.map((line) => line.origin),
    expected,
  };
}

/**
 * A compiler error as a doc writer needs it: the doc, its line, the block's
 * line, the error; and the `// type error` lines it stands for.
 */
export function describe(
  module: Module,
  diagnostic: ts.Diagnostic,
): { expected: number[]; text: string } {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  const at = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
  const line = module.origins[at] ?? 'wrapper';
  const expected = [...module.expected]
    .filter(([, { from, to }]) => typeof line === 'number' && from <= line && line <= to)
    .map(([said]) => said);
  const { doc, line: fence } = module.block;
  const where =
    typeof line === 'number'
      ? `${doc}:${line} (the block at line ${fence})`
      : `${doc}: the ${line} of the block at line ${fence}`;
  return { expected, text: `${where}: TS${diagnostic.code}: ${message}` };
}
