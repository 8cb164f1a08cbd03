import { need } from '../checks.ts';

type Page = { document?: { baseURI?: string }; location?: { href?: string } };

/**
 * @internal The URL a reader resolves paths against: the `base` option,
 * checked (an absolute URL); else what `fetch` itself uses in a page or a
 * worker, the document's base URL (a `<base href>` included) or `location`;
 * else none (Node, Bun, Workers, Deno without `--location`).
 */
export function baseOption(base: unknown): string | undefined {
  if (base === undefined) {
    const page = globalThis as Page;
    return page.document?.baseURI ?? page.location?.href;
  }
  const href = parse(base);
  need(
    href,
    'connect: base',
    'an absolute URL',
    base,
    "Pass one such as 'https://api.example.com'.",
  );
  return href;
}

/**
 * @internal The URL `connect` fetches: `input` resolved against `base`, or an
 * `SSEOptionError`. A URL that cannot be parsed can never be fetched, so it is
 * refused before the first attempt rather than retried as a network failure.
 */
export function resolveURL(input: unknown, base: string | undefined): string {
  const href = parse(input, base);
  need(
    href,
    'connect(url)',
    'an absolute URL (or a path and a base)',
    input,
    "Pass one such as 'https://api.example.com/events', or { base: 'https://api.example.com' }.",
  );
  return href;
}

// A string or a URL (anything else would be stringified into a path).
function parse(input: unknown, base?: string): string | undefined {
  if (typeof input !== 'string' && !(input instanceof URL)) return undefined;
  try {
    return new URL(input, base).href;
  } catch {
    return undefined;
  }
}
