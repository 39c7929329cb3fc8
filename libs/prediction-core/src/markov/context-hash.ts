/** Symbol standing for "start of session" in contexts (never a real action index). */
export const BOS = 0x7fff_fffe;

const SEED_A = 0x9e37_79b9;
const SEED_B = 0x85eb_ca6b;

/**
 * Incremental 53-bit context hashing. Contexts are hashed from the most recent action backwards,
 * so the key of order k+1 extends the key of order k with one more (older) symbol.
 * Two independent 32-bit lanes keep collisions negligible at millions of contexts.
 */
export class ContextHasher {
  private a = SEED_A;
  private b = SEED_B;

  /** Restarts at the empty (order-0) context. */
  reset(): void {
    this.a = SEED_A;
    this.b = SEED_B;
  }

  /** Extends the context with the next older symbol and returns the new key. */
  push(symbol: number): number {
    this.a = mix(this.a ^ symbol, 0xcc9e_2d51);
    this.b = mix(this.b + Math.imul(symbol, 0x1b87_3593), 0x27d4_eb2f);
    return (this.a >>> 0) * 0x20_0000 + (this.b >>> 11);
  }
}

function mix(h: number, m: number): number {
  h = Math.imul(h, m);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b_3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a_2d39);
  return h ^ (h >>> 15);
}
