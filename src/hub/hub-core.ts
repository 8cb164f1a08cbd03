import type { HubOverflowPolicy } from './hub-options.ts';
import type { HubEntry, HubPage } from './log.ts';

// The contract between a hub and its subscriptions: what `createHub` hands
// each `Subscription` it makes (its bounds, counters and callbacks), and how
// a subscription reads its replay. Both sides import it and it imports
// neither: the subscription is a type parameter here, not an import of
// subscription.ts, so no circle closes through this file.

/**
 * @internal What a subscription needs from its hub; `S` is the subscription
 * (`HubCore<Subscription>` on both sides).
 */
export interface HubCore<S> {
  compare(a: string, b: string): number;
  maxQueued: number;
  maxQueuedBytes: number;
  overflow: HubOverflowPolicy;
  counts: { delivered: number; replayed: number; dropped: number; disconnected: number };
  /** The subscription leaves the topics: no more live messages. */
  detach(subscription: S): void;
  /** The subscription is over: nothing of it is left. */
  done(subscription: S): void;
  /** A pseudo-entry telling the client its cursor cannot be replayed. */
  reset(subscription: S, cursor: string, head: string | undefined): HubEntry;
  fail(error: unknown): void;
}

/** @internal Reads one page of a subscriber's replay, after `cursor`. */
export type ReadPage = (cursor: string) => HubPage | Promise<HubPage>;
