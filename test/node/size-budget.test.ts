import { describe, expect, it } from 'vitest';
import { BUDGETS, measure } from '../../bench/_size.ts';

// Bundling and gzip are deterministic, so a budget is a plain assertion: an
// entry that grows past it fails here, and the budget in bench/_size.ts has
// to be raised on purpose.
describe('size budgets (minified + gzipped)', () => {
  for (const { name, source, budget } of BUDGETS) {
    it(`${name} stays within ${budget} bytes`, async () => {
      const { gzipped, minified } = await measure(source);
      expect(minified).toBeGreaterThan(gzipped); // it bundled real code
      expect(gzipped).toBeLessThanOrEqual(budget);
    });
  }

  it('measures the same bytes twice', async () => {
    const source = BUDGETS[0]!.source;
    expect(await measure(source)).toEqual(await measure(source));
  });

  it('leaves nothing out: every entry point in tsup.config.ts has a budget', async () => {
    const config = (await import('../../tsup.config.ts')).default as {
      entry: Record<string, string>;
    };
    const measured = BUDGETS.map((budget) => budget.source).join('\n');
    for (const file of Object.values(config.entry)) expect(measured).toContain(`./${file}`);
  });
});
