import { seededRng } from '@foresight/random';
import { randomBytes as nodeRandomBytes } from 'node:crypto';

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
