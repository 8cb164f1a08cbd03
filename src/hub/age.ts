import type { Subscription } from './subscription.ts';

/**
 * @internal Ends subscriptions at their maximum age with one shared timer, not
 * one per subscriber: deadlines fall into buckets of `tick` ms, and the timer
 * runs only while some bucket is not empty. Each deadline is the age minus a
 * random part of up to `jitter` of it, so connections opened together (after
 * a deploy) do not all come back at once.
 */
export class _AgeLimit {
  #buckets = new Map<number, Set<Subscription>>();
  #tick: number;
  #done = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly maxAge: number,
    private readonly jitter: number,
    private readonly expire: (subscription: Subscription) => void,
  ) {
    this.#tick = Math.max(1, Math.min(1000, maxAge / 20));
  }

  add(subscription: Subscription): void {
    const now = Date.now();
    if (!this.#timer) {
      this.#done = Math.floor(now / this.#tick);
      this.#timer = setInterval(() => this.#fire(), this.#tick);
      // Never the only thing that keeps a process alive (Node, Bun, Deno).
      (this.#timer as { unref?: () => void }).unref?.();
    }
    const deadline = now + this.maxAge * (1 - this.jitter * Math.random());
    const key = Math.max(this.#done + 1, Math.ceil(deadline / this.#tick));
    subscription.ageKey = key;
    let bucket = this.#buckets.get(key);
    if (!bucket) this.#buckets.set(key, (bucket = new Set()));
    bucket.add(subscription);
  }

  remove(subscription: Subscription): void {
    const bucket = this.#buckets.get(subscription.ageKey);
    if (!bucket?.delete(subscription)) return;
    if (bucket.size === 0) this.#buckets.delete(subscription.ageKey);
    if (this.#buckets.size === 0) this.stop();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#buckets.clear();
  }

  #fire(): void {
    const now = Math.floor(Date.now() / this.#tick);
    while (this.#done < now && this.#timer) {
      const bucket = this.#buckets.get(++this.#done);
      if (!bucket) continue;
      this.#buckets.delete(this.#done);
      for (const subscription of bucket) this.expire(subscription);
    }
    if (this.#buckets.size === 0) this.stop();
  }
}
