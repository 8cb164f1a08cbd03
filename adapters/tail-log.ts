/// <reference types="node" />
/**
 * Log tailing over SSE: filters for JSON-lines logs taken from query
 * parameters (`?level=warn&search=timeout`), and `tailLog`, a whole endpoint.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { SSEOptionError } from '../src/errors.ts';
import type { SSEResponseInit } from '../src/server/options.ts';
import { sseResponse } from '../src/server/response.ts';
import { _CURSOR, type TailFileOptions } from './tail.ts';
import { _shared } from './tail-shared.ts';

export { type TailFileOptions, tailFile } from './tail.ts';

/**
 * Log levels, lowest first; `?level=warn` keeps `warn`, `error` and `fatal`.
 * Lines may name them in any case, or use pino's numbers (10 to 60).
 *
 * @example
 * ```ts
 * LOG_LEVELS.indexOf('warn'); // 3
 * ```
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/**
 * A name from {@link LOG_LEVELS}.
 *
 * @example
 * ```ts
 * const level: LogLevel = 'error';
 * ```
 */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * A query parameter that cannot be used as a log filter; `response()` is the
 * 400 to send back, with a message that says what to pass.
 *
 * @example
 * ```ts
 * try {
 *   logFilter(request);
 * } catch (error) {
 *   if (error instanceof LogFilterError) return error.response();
 *   throw error;
 * }
 * ```
 */
export class LogFilterError extends SSEOptionError {
  override name = 'LogFilterError';
  /** The HTTP status for the client: 400. */
  readonly status = 400;

  /** A `400 Bad Request` with the message as plain text. */
  response(): Response {
    return new Response(`${this.message}\n`, {
      status: this.status,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
}

/**
 * Options of {@link logFilter}.
 *
 * @example
 * ```ts
 * logFilter(request, { levelField: 'severity', maxSearchLength: 80 });
 * ```
 */
export interface LogFilterOptions {
  /** The field of each JSON line that holds its level. Default `'level'`. */
  levelField?: string;
  /** The longest `search` accepted, in characters. Default 200. */
  maxSearchLength?: number;
}

/**
 * A filter for JSON-lines log lines, made by {@link logFilter}.
 *
 * @example
 * ```ts
 * const filter = logFilter('?level=error&search=timeout');
 * filter.test('{"level":"error","msg":"DB timeout"}'); // true
 * ```
 */
export interface LogFilter {
  /** The lowest level kept, if any. */
  readonly level: LogLevel | undefined;
  /** The text searched for (case-insensitive), if any. */
  readonly search: string | undefined;
  /** Whether a line passes: at or above `level`, with `search` in one of its values. */
  test(line: string): boolean;
}

/**
 * Reads `level` (lowest level kept: `trace` … `fatal`, or `all`) and `search`
 * (text to find, case-insensitive, in the values of a JSON line, or in a
 * plain line) from query parameters. Lines that are not JSON objects pass
 * only when no level is asked for. Throws a {@link LogFilterError} for a
 * parameter that cannot be used: answer it with `error.response()`, a 400.
 *
 * @example
 * ```ts
 * const filter = logFilter(new URL('https://x/logs?level=warn&search=db'));
 * filter.test('{"level":"error","msg":"db down"}'); // true
 * filter.test('{"level":"info","msg":"db up"}'); // false: below warn
 * ```
 */
export function logFilter(
  query: Request | URL | URLSearchParams | string,
  options: LogFilterOptions = {},
): LogFilter {
  const { levelField = 'level', maxSearchLength = 200 } = options;
  const params =
    query instanceof URLSearchParams
      ? query
      : typeof query === 'string'
        ? new URLSearchParams(query.slice(query.indexOf('?') + 1))
        : new URL(query instanceof URL ? query : query.url).searchParams;
  const level = _single(params, 'level')?.toLowerCase();
  const search = _single(params, 'search');
  const rank = level === undefined || level === '' || level === 'all' ? -1 : _rank(level);
  if (rank === undefined) {
    throw new LogFilterError(
      `level must be one of ${LOG_LEVELS.join(', ')} or all (got '${_shorten(level!)}')`,
    );
  }
  if (search !== undefined && search.length > maxSearchLength) {
    throw new LogFilterError(`search must be at most ${maxSearchLength} characters`);
  }
  const needle = search ? search.toLowerCase() : undefined;
  return {
    level: rank < 0 ? undefined : LOG_LEVELS[rank],
    search: needle ? search : undefined,
    test(line) {
      if (rank < 0 && needle === undefined) return true;
      let entry: unknown;
      try {
        entry = line.startsWith('{') ? JSON.parse(line) : undefined;
      } catch {}
      const record = entry !== null && typeof entry === 'object' ? entry : undefined;
      if (rank >= 0) {
        const value = (record as Record<string, unknown> | undefined)?.[levelField];
        if ((_rank(value) ?? -1) < rank) return false;
      }
      if (needle === undefined) return true;
      // Values only: a search for "level" should not match every line by its keys.
      const text = record ? Object.values(record).map(_text).join('\n') : line;
      return text.toLowerCase().includes(needle);
    },
  };
}

/**
 * Options of {@link tailLog}: where to start and how often to look, the
 * filter's options, the event name, and any `sseResponse` option.
 *
 * @example
 * ```ts
 * tailLog(request, 'app.log', { event: 'line', from: 'start', retry: 5000 });
 * ```
 */
export interface TailLogOptions
  extends LogFilterOptions,
    Pick<TailFileOptions, 'from' | 'pollMs'>,
    Omit<SSEResponseInit, 'request'> {
  /** The event name of each line. Default `'log'`. */
  event?: string;
}

/**
 * A whole log-tail endpoint: the JSON lines appended to `path`, filtered by
 * the request's `level` and `search` parameters, one event each (its `data`
 * the line as written, its `id` where the line ends in the file, so that a
 * client that reconnects with `Last-Event-ID` resumes right after it; after
 * a rotation, from the start of the new file). A bad parameter gets a 400
 * that says what to pass, a missing file a 404; a filter change is a new
 * request.
 *
 * @example
 * ```ts
 * import { serve, tailLog } from 'ssekit/node';
 *
 * // GET /logs?level=error&search=timeout
 * await serve((request) => tailLog(request, '/var/log/app.jsonl', { retry: 5000 }));
 * // In the browser: new EventSource('/logs?level=error').addEventListener('log', show);
 * ```
 */
export async function tailLog(
  request: Request,
  path: string | URL,
  options: TailLogOptions = {},
): Promise<Response> {
  const { levelField, maxSearchLength, from, pollMs, event = 'log', ...init } = options;
  let filter: LogFilter;
  try {
    filter = logFilter(request, { levelField, maxSearchLength });
  } catch (error) {
    if (error instanceof LogFilterError) return error.response();
    throw error;
  }
  if (from !== undefined && from !== 'end' && from !== 'start') {
    throw new SSEOptionError(`tailLog(): from must be 'end' or 'start' (got ${String(from)})`);
  }
  const found = await stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
  if (!found) return new Response('The log file is not available.\n', { status: 404 });
  return sseResponse(
    async function* ({ signal, lastEventId }) {
      // Each line's id is where it ends in the file: a client that reconnects
      // resumes right after the last line it got, losing none written meanwhile.
      const resume = lastEventId && _CURSOR.test(lastEventId) ? lastEventId : from;
      // One follower per file, shared by every stream of it; each filters its own.
      for await (const [line, id] of _shared(path, { signal, from: resume, pollMs })) {
        if (line !== '' && filter.test(line)) yield { event, id, data: line };
      }
    },
    { ...init, request },
  );
}

function _rank(level: unknown): number | undefined {
  if (typeof level === 'number') {
    // pino: trace 10, debug 20, info 30, warn 40, error 50, fatal 60.
    return Number.isFinite(level)
      ? Math.max(0, Math.min(5, Math.floor(level / 10) - 1))
      : undefined;
  }
  if (typeof level !== 'string') return undefined;
  const name = level.toLowerCase();
  const rank = LOG_LEVELS.indexOf((name === 'warning' ? 'warn' : name) as LogLevel);
  return rank < 0 ? undefined : rank;
}

function _single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1)
    throw new LogFilterError(`give ${name} once (got it ${values.length} times)`);
  return values[0];
}

function _text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function _shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
