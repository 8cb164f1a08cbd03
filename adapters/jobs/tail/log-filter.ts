/**
 * Filters for JSON-lines logs taken from query parameters
 * (`?level=warn&search=timeout`): what `tailLog` applies to each line.
 * Web-standard: it runs wherever a `URL` does.
 *
 * @module
 */
import { describe } from '../../../src/checks.ts';
import { SSEOptionError } from '../../../src/errors.ts';

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
  const level = single(params, 'level')?.toLowerCase();
  const search = single(params, 'search');
  const lowest = level === undefined || level === '' || level === 'all' ? -1 : rank(level);
  if (lowest === undefined) {
    throw new LogFilterError(
      `level: expected one of ${LOG_LEVELS.join(', ')} or all, got ${describe(level)}. Pick one of those.`,
    );
  }
  if (search !== undefined && search.length > maxSearchLength) {
    throw new LogFilterError(
      `search: expected at most ${maxSearchLength} characters, got ${search.length}. Search for a shorter text.`,
    );
  }
  const needle = search ? search.toLowerCase() : undefined;
  return {
    level: lowest < 0 ? undefined : LOG_LEVELS[lowest],
    search: needle ? search : undefined,
    test(line) {
      if (lowest < 0 && needle === undefined) return true;
      let entry: unknown;
      try {
        entry = line.startsWith('{') ? JSON.parse(line) : undefined;
      } catch {}
      const record = entry !== null && typeof entry === 'object' ? entry : undefined;
      if (lowest >= 0) {
        const value = (record as Record<string, unknown> | undefined)?.[levelField];
        if ((rank(value) ?? -1) < lowest) return false;
      }
      if (needle === undefined) return true;
      // Values only: a search for "level" should not match every line by its keys.
      const values = record ? Object.values(record).map(text).join('\n') : line;
      return values.toLowerCase().includes(needle);
    },
  };
}

function rank(level: unknown): number | undefined {
  if (typeof level === 'number') {
    // pino: trace 10, debug 20, info 30, warn 40, error 50, fatal 60.
    return Number.isFinite(level)
      ? Math.max(0, Math.min(5, Math.floor(level / 10) - 1))
      : undefined;
  }
  if (typeof level !== 'string') return undefined;
  const name = level.toLowerCase();
  const index = LOG_LEVELS.indexOf((name === 'warning' ? 'warn' : name) as LogLevel);
  return index < 0 ? undefined : index;
}

function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) {
    throw new LogFilterError(
      `${name}: expected one value, got ${values.length}. Give ${name} once.`,
    );
  }
  return values[0];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

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
