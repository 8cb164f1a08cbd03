const INVALID = /[\r\n\0]/;

/**
 * Where to find the `Last-Event-ID` a reconnecting client sends.
 *
 * @example
 * ```ts
 * lastEventIdFrom(request, { queryParam: 'lastEventId', maxLength: 64 });
 * ```
 */
export interface LastEventIdOptions {
  /**
   * Also read the id from this query parameter, for `EventSource` polyfills
   * that cannot send headers. Off by default.
   */
  queryParam?: string;
  /** Longer ids count as absent. Default 1024 characters. */
  maxLength?: number;
}

/**
 * The `Last-Event-ID` of a request: from the header, else from the opt-in
 * query parameter. An id with CR, LF or NUL, or longer than `maxLength`, is
 * treated as absent (`undefined`): it cannot have come from a valid stream.
 *
 * @example
 * ```ts
 * const cursor = lastEventIdFrom(request, { queryParam: 'lastEventId' });
 * ```
 */
export function lastEventIdFrom(
  request: Request,
  options: LastEventIdOptions = {},
): string | undefined {
  const { queryParam, maxLength = 1024 } = options;
  let id = request.headers.get('last-event-id') ?? undefined;
  if (id === undefined && queryParam) {
    id = new URL(request.url).searchParams.get(queryParam) ?? undefined;
  }
  return validLastEventId(id, maxLength);
}

/**
 * @internal `id` when it can be a `Last-Event-ID`: a string without CR, LF
 * or NUL, at most `maxLength` long; else `undefined` (absent).
 */
export function validLastEventId(id: string | undefined, maxLength = 1024): string | undefined {
  return id === undefined || id.length > maxLength || INVALID.test(id) ? undefined : id;
}
