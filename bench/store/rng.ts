/** A source of uniform random numbers in [0, 1), injected so runs are reproducible. */
export type Rng = () => number;

/**
 * Seeded PRNG (mulberry32): small, fast and good enough to pick sessions and build payloads.
 * Not for anything security related.
 */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function pickIndex(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** One element of a non-empty array. */
export function pickOne<T>(rng: Rng, items: readonly T[]): T {
  return items[pickIndex(rng, items.length)] as T;
}
