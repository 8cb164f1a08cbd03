import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

// The hub runs wherever the core runs (Workers, Deno, Bun, browsers' service
// workers): its files import only each other and the web-standard core, and
// the Redis adapter reaches the hub only through its public entry.
const root = fileURLToPath(new URL('../../../', import.meta.url));

test('src/hub imports nothing but web-standard code, and no runtime globals', () => {
  const files = readdirSync(`${root}src/hub`).filter((name) => name.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(5);
  for (const name of files) {
    const text = readFileSync(`${root}src/hub/${name}`, 'utf8');
    for (const [, from] of text.matchAll(/from '([^']+)'/g)) {
      expect(from, `${name} imports ${from}`).toMatch(/^\.\.?\/(?!\.\.\/)/);
    }
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    expect(code, name).not.toMatch(/\b(process|Buffer|setImmediate|require|Deno|Bun)\b[.(]/);
  }
});

test('adapters/redis*.ts have no runtime dependency on a Redis package', () => {
  const files = readdirSync(`${root}adapters`).filter((name) => name.startsWith('redis'));
  expect(files.length).toBeGreaterThan(0);
  for (const name of files) {
    const text = readFileSync(`${root}adapters/${name}`, 'utf8');
    const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((match) => match[1]);
    expect(imports.every((from) => /^(\.\.\/src\/|\.\/redis-)/.test(from ?? ''))).toBe(true);
  }
});
