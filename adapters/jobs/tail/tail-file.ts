/// <reference types="node" />
/**
 * `tailFile`: follow a growing text file line by line, as `tail -F` does.
 *
 * @module
 */
import { need } from '../../../src/checks.ts';
import type { TailFileOptions } from './tail-follow.ts';
import { shared } from './tail-shared.ts';

export type { TailFileOptions } from './tail-follow.ts';

/**
 * Follows a text file: yields each line once it is complete (a half-written
 * line waits for its newline), without its line break. Survives truncation
 * (it starts again at the top) and rotation (the path now names a new file:
 * the rest of the old one is read first, then the new one from its start).
 * The file must exist when the first line is asked for; after that it may
 * vanish for a while during a rotation.
 *
 * @example
 * ```ts
 * import { sseResponse } from 'ssekit';
 * import { tailFile } from 'ssekit/tail';
 *
 * const handler = (request: Request) =>
 *   sseResponse(
 *     ({ signal }) => tailFile('app.log', { signal }), // each line a `data` event
 *     { request },
 *   );
 * ```
 */
export async function* tailFile(
  path: string | URL,
  options: TailFileOptions = {},
): AsyncGenerator<string, void, undefined> {
  const { from = 'end' } = options;
  need(from === 'end' || from === 'start', 'tailFile: from', "'end' or 'start'", from);
  for await (const [line] of shared(path, options)) yield line;
}
