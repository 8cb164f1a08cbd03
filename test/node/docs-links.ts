/**
 * The relative links of the docs, and the anchors GitHub makes of their
 * headings: a link to a file that is not there, or to a heading that is not
 * in it, is a broken link.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

/** A markdown text without its fenced blocks (a `# comment` in a shell block is no heading). */
const prose = (text: string) => text.replace(/^```[^\n]*\n[\s\S]*?^```[^\S\n]*$/gm, '');

/**
 * GitHub's anchor for a heading: lower case, punctuation dropped (letters,
 * digits, `_`, `-` and spaces kept), spaces to hyphens; a repeated heading
 * gets `-1`, `-2` ….
 */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6} +(.*?)(?: +#+)? *$/gm)) {
    const base = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replaceAll(' ', '-');
    const times = seen.get(base) ?? 0;
    seen.set(base, times + 1);
    anchors.add(times ? `${base}-${times}` : base);
  }
  return anchors;
}

/**
 * Every relative link and `#anchor` of the docs that goes nowhere, as
 * `doc: href (why)`; a file in `expected` may be missing (once there, its
 * anchors are checked).
 */
export function brokenLinks(root: string, docs: string[], expected: string[] = []): string[] {
  const anchors = new Map<string, Set<string>>();
  const anchorsIn = (doc: string) => {
    if (!anchors.has(doc)) anchors.set(doc, anchorsOf(readFileSync(join(root, doc), 'utf8')));
    return anchors.get(doc)!;
  };
  const broken: string[] = [];
  for (const doc of docs) {
    const text = prose(readFileSync(join(root, doc), 'utf8')).replace(/`[^`\n]*`/g, '');
    for (const [, href] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z][a-z+.-]*:/i.test(href!)) continue; // https:, mailto:
      const [path, fragment] = href!.split('#') as [string, string | undefined];
      const target = path ? normalize(join(dirname(doc), decodeURI(path))) : doc;
      if (!existsSync(join(root, target))) {
        if (expected.includes(target)) continue; // not there yet, and expected
        broken.push(`${doc}: ${href} (no file ${target})`);
      } else if (fragment && target.endsWith('.md') && !anchorsIn(target).has(fragment)) {
        broken.push(`${doc}: ${href} (no heading #${fragment} in ${target})`);
      }
    }
  }
  return broken;
}
