import { seededRng, type Rng } from '@foresight/random';

export { seededRng, type Rng };

/** An integer in [0, n). */
export function pickIndex(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** One element of a non-empty array. */
export function pickOne<T>(rng: Rng, items: readonly T[]): T {
  return items[pickIndex(rng, items.length)] as T;
}
