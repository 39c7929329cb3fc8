import type { ForesightClient } from '@foresight/client';

export interface Product {
  readonly key: string;
  readonly value: unknown;
  /** Where the value came from: the owner node's cache, a prefetch, or the origin. */
  readonly source: string;
  readonly waitedMs: number;
}

/**
 * Product data. With Foresight, read through the session's owner node (getWithPrediction): a page
 * the model saw coming is already in its cache. Without Foresight (the other stores, for comparison),
 * straight from the origin.
 */
export function catalog(foresight: ForesightClient | undefined, originUrl: string | undefined) {
  return {
    async get(sessionId: string, key: string): Promise<Product> {
      if (foresight) {
        const r = await foresight.session(sessionId).getWithPrediction(key);
        return { key, value: r.value, source: r.source, waitedMs: r.waitedMs };
      }
      if (!originUrl) return { key, value: { name: key }, source: 'built-in', waitedMs: 0 };
      const started = Date.now();
      const r = await fetch(`${originUrl}/items/${encodeURIComponent(key)}`);
      return { key, value: await r.json(), source: 'origin', waitedMs: Date.now() - started };
    },
    /** What each product page needs, so the owner node prefetches it for a predicted view. */
    async declareRequirements(): Promise<void> {
      await foresight?.putRequirement({ pattern: 'view_product:{id}', keys: ['product:{id}', 'reviews:{id}'] });
    },
    /** Tells the cluster what the user did (prediction learns; the owner prefetches what follows). */
    async record(sessionId: string, action: string): Promise<void> {
      await foresight?.session(sessionId).recordAction(action);
    },
  };
}
