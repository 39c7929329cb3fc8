/** Injection tokens of the shared platform providers. */
export const CONFIG = Symbol('foresight.config');
export const LOGGER = Symbol('foresight.logger');
export const NATS = Symbol('foresight.nats');
export const METRICS = Symbol('foresight.metrics');
export const PG_POOL = Symbol('foresight.pg-pool');
export const CLOCK = Symbol('foresight.clock');
export const HEALTH_CHECKS = Symbol('foresight.health-checks');

/** Injected time source (STYLE.md §10). */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
