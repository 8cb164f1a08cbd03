import { DELAY, isDelay, isObject, need, needCount, needFunction } from '../checks.ts';
import { isRetry, RETRY } from '../wire/encode.ts';
import { lastEventIdFrom } from './last-event-id.ts';
import { CUT_ON_ERROR, type SSEResponseInit, type StreamOptions } from './response-options.ts';

// The checks of what `sseResponse` and `createEventStream` are passed, and
// the defaults of what is left out. The option types are in
// response-options.ts.

// Statuses from 200 to 599 that have no body (101 and 103 are below 200).
const NULL_BODY_STATUS = [204, 205, 304];

/**
 * @internal The options of `sseResponse` and `createEventStream`, checked,
 * with their defaults: an `SSEOptionError` for the first bad one.
 */
export function streamSettings(init: SSEResponseInit): StreamOptions {
  need(isObject(init), 'options', 'an object', init);
  const { status = 200, heartbeat = 15_000, retry } = init;
  // The deprecated name counts only when the new one is absent.
  const maxQueuedBytes = init.maxQueuedBytes ?? init.maxBufferedBytes ?? 1024 * 1024;
  need(
    Number.isInteger(status) &&
      status >= 200 &&
      status <= 599 &&
      !NULL_BODY_STATUS.includes(status),
    'status',
    'a status from 200 to 599 with a body',
    status,
    'EventSource accepts only 200.',
  );
  need(heartbeat === false || isDelay(heartbeat), 'heartbeat', DELAY + ', or false', heartbeat);
  if (retry !== undefined) {
    need(isRetry(retry), 'retry', RETRY, retry);
  }
  needCount('maxQueuedBytes', maxQueuedBytes);
  // 'close', the deprecated name of 'disconnect', is taken by the stream as is.
  const overflow = init.overflow ?? 'disconnect';
  need(
    typeof overflow === 'function' ||
      ['disconnect', 'drop-oldest', 'drop-newest', 'close'].includes(overflow),
    'overflow',
    "'disconnect', 'drop-oldest', 'drop-newest' or a function",
    overflow,
  );
  for (const name of ['serialize', 'onError', 'onClose'] as const) {
    if (init[name] !== undefined) needFunction(name, init[name]);
  }
  // Duck-typed: frameworks and test runners bring their own Request and
  // AbortSignal classes, from other realms.
  if (init.request !== undefined) {
    need(typeof init.request?.headers?.get === 'function', 'request', 'a Request', init.request);
  }
  if (init.signal !== undefined) {
    need(
      typeof init.signal?.addEventListener === 'function',
      'signal',
      'an AbortSignal',
      init.signal,
    );
  }
  if (init.lastEventIdParam !== undefined) {
    need(
      typeof init.lastEventIdParam === 'string' && init.lastEventIdParam !== '',
      'lastEventIdParam',
      'a non-empty string',
      init.lastEventIdParam,
    );
  }
  return {
    request: init.request,
    signal: init.signal,
    lastEventId:
      init.request && lastEventIdFrom(init.request, { queryParam: init.lastEventIdParam }),
    heartbeat,
    retry,
    maxQueuedBytes,
    overflow,
    serialize: init.serialize,
    onError: init.onError,
    onClose: init.onClose,
    cutOnError: (init as { [CUT_ON_ERROR]?: boolean })[CUT_ON_ERROR] === true,
  };
}
