/** The shared seeded generator and Rng type. */
export { seededRng, type Rng } from '@foresight/random';
