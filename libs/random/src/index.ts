/** A source of uniform random numbers in [0, 1), injected so simulations, training and tests are reproducible. */
export type Rng = () => number;

/**
 * Small, fast seeded generator (mulberry32): the same seed always gives the same sequence.
 * For simulations and tests only — never for secrets (use node:crypto).
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
