import { isObject, need, needCount, needDelay, needFunction } from '../checks.ts';
import type { HubLog } from './log.ts';
import { createMemoryLog } from './memory-log.ts';
import type { HubOptions } from './options.ts';

// The checks of what the hub is passed: its options and each call's topics.

/** @internal The topics, validated, each once. */
export function topicList(topics: string | readonly string[]): string[] {
  const list = typeof topics === 'string' ? [topics] : topics;
  need(
    Array.isArray(list) && list.length > 0,
    'topics',
    'a string or a non-empty array of strings',
    topics,
    "Pass one such as 'news'.",
  );
  for (const topic of list) {
    need(
      typeof topic === 'string' && /^[^\r\n\0]+$/.test(topic),
      'topic',
      'a non-empty string without CR, LF or NUL',
      topic,
      "Use one such as 'user:42'.",
    );
  }
  return list.length === 1 ? [list[0]!] : [...new Set(list)];
}

/** @internal The hub's options, checked, with their defaults. */
export function hubSettings(options: HubOptions) {
  need(isObject(options), 'createHub(options)', 'an object', options);
  const {
    log = createMemoryLog(),
    maxQueued = 1000,
    maxQueuedBytes = 1024 * 1024,
    overflow = 'disconnect',
    resetEvent = 'reset',
    maxConnectionAge,
    maxConnectionAgeJitter = 0.2,
    serialize,
    onError = (error: unknown) => console.error('ssekit/hub:', error),
  } = options;
  need(
    isLog(log),
    'log',
    'a HubLog (append, follow, read, compare)',
    log,
    'Use createMemoryLog(), or createRedisLog() from ssekit/redis.',
  );
  needCount('maxQueued', maxQueued);
  needCount('maxQueuedBytes', maxQueuedBytes);
  need(
    typeof overflow === 'function' ||
      ['disconnect', 'drop-oldest', 'drop-newest'].includes(overflow),
    'overflow',
    "'disconnect', 'drop-oldest', 'drop-newest' or a function",
    overflow,
  );
  need(
    typeof resetEvent === 'string' && /^[^\r\n]+$/.test(resetEvent),
    'resetEvent',
    'a non-empty string without CR or LF',
    resetEvent,
  );
  if (maxConnectionAge !== undefined) needDelay('maxConnectionAge', maxConnectionAge);
  need(
    typeof maxConnectionAgeJitter === 'number' &&
      maxConnectionAgeJitter >= 0 &&
      maxConnectionAgeJitter <= 1,
    'maxConnectionAgeJitter',
    'a fraction from 0 to 1',
    maxConnectionAgeJitter,
  );
  for (const name of ['serialize', 'onReset', 'onError'] as const) {
    if (options[name] !== undefined) needFunction(name, options[name]);
  }
  return {
    log,
    maxQueued,
    maxQueuedBytes,
    overflow,
    resetEvent,
    maxConnectionAge,
    maxConnectionAgeJitter,
    serialize,
    onError,
  };
}

function isLog(log: HubLog): boolean {
  return (
    typeof log?.append === 'function' &&
    typeof log.read === 'function' &&
    typeof log.follow === 'function' &&
    typeof log.compare === 'function'
  );
}
