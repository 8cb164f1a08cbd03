/// <reference types="node" />
/**
 * `tailLog`: a whole log-tail endpoint, a file's JSON lines filtered by the
 * request's query and resumable with `Last-Event-ID`.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { need } from '../../../src/checks.ts';
import { sseResponse } from '../../../src/server/response.ts';
import type { SSEResponseInit } from '../../../src/server/response-options.ts';
import { type LogFilter, LogFilterError, type LogFilterOptions, logFilter } from './log-filter.ts';
import type { TailFileOptions } from './tail-follow.ts';
import { CURSOR } from './tail-lines.ts';
import { shared } from './tail-shared.ts';

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
 * import { serve } from 'ssekit/node';
 * import { tailLog } from 'ssekit/tail';
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
  if (from !== undefined)
    need(from === 'end' || from === 'start', 'tailLog: from', "'end' or 'start'", from);
  const found = await stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
  if (!found) return new Response('The log file is not available.\n', { status: 404 });
  return sseResponse(
    async function* ({ signal, lastEventId }) {
      // Each line's id is where it ends in the file: a client that reconnects
      // resumes right after the last line it got, losing none written meanwhile.
      const resume = lastEventId && CURSOR.test(lastEventId) ? lastEventId : from;
      // One follower per file, shared by every stream of it; each filters its own.
      for await (const [line, id] of shared(path, { signal, from: resume, pollMs })) {
        if (line !== '' && filter.test(line)) yield { event, id, data: line };
      }
    },
    { ...init, request },
  );
}
