import { describe, isObject, need, needCount, needDelay, needFunction, refuse } from '../checks.ts';
import type { HubOptions } from './hub-options.ts';
import type { HubLog } from './log.ts';
import { createMemoryLog } from './memory-log.ts';

// The checks of what the hub is passed, its options and each call's topics,
// and the defaults of what is left out. The option types are in hub-options.ts.

/** @internal How many topics one call takes, and how long one may be. */
export interface TopicBounds {
  maxTopics: number;
  maxTopicLength: number;
}

/**
 * @internal The topic bounds of a hub's options, checked, with their
 * defaults. 100 topics: a subscriber holds a few (its user, its team, the
 * rooms it has open), a dashboard some dozens; each costs a subscriber about
 * half a KiB in the hub (measured in a Durable Object: 20 subscriptions of
 * 5,000 topics took 50 MiB). 256 characters: `tenant:<uuid>:room:<uuid>` is 86.
 */
export function topicBounds(options: {
  maxTopics?: number | undefined;
  maxTopicLength?: number | undefined;
}): TopicBounds {
  const { maxTopics = 100, maxTopicLength = 256 } = options;
  needCount('maxTopics', maxTopics);
  needCount('maxTopicLength', maxTopicLength);
  return { maxTopics, maxTopicLength };
}

/** @internal The topics, validated against `bounds`, each once. */
export function topicList(topics: string | readonly string[], bounds: TopicBounds): string[] {
  const list = typeof topics === 'string' ? [topics] : topics;
  need(
    Array.isArray(list) && list.length > 0,
    'topics',
    'a string or a non-empty array of strings',
    topics,
    "Pass one such as 'news'.",
  );
  // Counted before anything is looked at or kept: a query string may hold thousands.
  need(
    list.length <= bounds.maxTopics,
    'topics',
    `at most ${bounds.maxTopics} topics`,
    list.length,
    'Pass fewer (a topic per user or room, not per item), or raise maxTopics.',
  );
  for (const topic of list) {
    need(
      typeof topic === 'string' && /^[^\r\n\0]+$/.test(topic),
      'topic',
      'a non-empty string without CR, LF or NUL',
      topic,
      "Use one such as 'user:42'.",
    );
    if (topic.length > bounds.maxTopicLength) {
      refuse(
        'topic',
        `at most ${bounds.maxTopicLength} characters`,
        `${describe(topic)} (${topic.length} characters)`,
        "Use a shorter one such as 'user:42', or raise maxTopicLength.",
      );
    }
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
  const bounds = topicBounds(options);
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
    bounds,
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
