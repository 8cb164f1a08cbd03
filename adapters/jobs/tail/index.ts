/**
 * ssekit/tail: log tailing over SSE. `tailFile` follows a growing file line
 * by line (as `tail -F`), `logFilter` reads `level` and `search` filters
 * from a query, and `tailLog` is a whole endpoint made of both. Files are
 * read through `node:fs`, so it runs on Node, Deno and Bun.
 *
 * @module
 */
export {
  LOG_LEVELS,
  type LogFilter,
  LogFilterError,
  type LogFilterOptions,
  type LogLevel,
  logFilter,
} from './log-filter.ts';
export { type TailFileOptions, tailFile } from './tail-file.ts';
export { type TailLogOptions, tailLog } from './tail-log.ts';
