import type { Subscription } from '../../src/hub/index.ts';

/** Reads up to `count` messages of a subscription, as wire text; fewer if it ends. */
export async function take(subscription: Subscription, count: number): Promise<string[]> {
  const texts: string[] = [];
  while (texts.length < count) {
    const result = await subscription.next();
    if (result.done) break;
    texts.push(result.value.text);
  }
  return texts;
}
