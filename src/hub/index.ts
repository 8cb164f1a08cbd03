/**
 * ssekit/hub: fan-out by topic with replay. Messages are encoded once and the
 * same bytes go to every subscriber; each subscriber has a bounded queue and
 * an overflow policy; a client that reconnects with `Last-Event-ID` gets what
 * it missed from the log (in memory here, Redis Streams with `ssekit/redis`).
 * A log of your own implements `HubLog`, with `hubEntry`, `newEpoch`,
 * `counterOf` and `logBounds`.
 *
 * @module
 */

export { counterOf, newEpoch } from './epoch.ts';
export { createHub, type Hub, HubClosedError } from './hub.ts';
export type {
  HubCloseOptions,
  HubOptions,
  HubOverflowAction,
  HubOverflowInfo,
  HubOverflowPolicy,
  HubResetInfo,
  HubStats,
  SubscribeOptions,
} from './hub-options.ts';
export {
  type HubEntry,
  type HubLog,
  type HubPage,
  type HubPageLimits,
  hubEntry,
  type LogBounds,
  logBounds,
} from './log.ts';
export { createMemoryLog, type MemoryLogOptions } from './memory-log.ts';
export { Subscription } from './subscription.ts';
