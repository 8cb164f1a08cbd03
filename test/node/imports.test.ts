import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

// The core runs on any runtime: no Node, Deno, Bun or workerd API may appear
// under src/. The edge project proves it at run time for the paths tests
// reach; this catches the rest.
const FORBIDDEN =
  /from ['"](node:|bun|deno|cloudflare:)|require\(|\b(process|Buffer|setImmediate|__dirname|Deno|Bun)\b\s*[.([]/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

test('src/ uses web-standard APIs only', () => {
  const root = new URL('../../src', import.meta.url).pathname;
  const offenders = files(root)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, index) => ({ file, line: index + 1, text: line }))
        .filter(({ text }) => !text.trim().startsWith('*') && !text.trim().startsWith('//'))
        .filter(({ text }) => FORBIDDEN.test(text)),
    );
  expect(offenders).toEqual([]);
});
