import type { HubEntry, HubPage } from './log.ts';
import type { HubOverflowPolicy } from './options.ts';
import type { Subscription } from './subscription.ts';

// The contract between a hub and its subscriptions: what `createHub` hands
// each `Subscription` it makes (its bounds, counters and callbacks), and how
// a subscription reads its replay.

/** @internal What a subscription needs from its hub. */
export interface HubCore {
  compare(a: string, b: string): number;
  maxQueued: number;
  maxQueuedBytes: number;
  overflow: HubOverflowPolicy;
  counts: { delivered: number; replayed: number; dropped: number; disconnected: number };
  /** The subscription leaves the topics: no more live messages. */
  detach(subscription: Subscription): void;
  /** The subscription is over: nothing of it is left. */
  done(subscription: Subscription): void;
  /** A pseudo-entry telling the client its cursor cannot be replayed. */
  reset(subscription: Subscription, cursor: string, head: string | undefined): HubEntry;
  fail(error: unknown): void;
}

/** @internal Reads one page of a subscriber's replay, after `cursor`. */
export type ReadPage = (cursor: string) => HubPage | Promise<HubPage>;
