import { seededRng, type Rng } from '@foresight/random';
import { randomBytes as nodeRandomBytes } from 'node:crypto';

export { seededRng, type Rng };

/** A source of random bytes. Production code injects {@link cryptoRandomBytes}. */
export type RandomBytes = (length: number) => Uint8Array;

/** The operating system CSPRNG: the only {@link RandomBytes} to use for real tokens. */
export const cryptoRandomBytes: RandomBytes = (length) => new Uint8Array(nodeRandomBytes(length));

/** Deterministic bytes from a seed, for tests and simulations only. NOT for real tokens. */
export function seededRandomBytes(seed: number): RandomBytes {
  const rng = seededRng(seed);
  return (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(rng() * 256);
    return out;
  };
}

/** Standard normal variate by Box–Muller from an injected RNG. */
export function gaussian(rng: Rng): number {
  const u = Math.max(rng(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
