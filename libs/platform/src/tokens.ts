/** Injection tokens of the shared platform providers. */
export const CONFIG = Symbol('foresight.config');
export const LOGGER = Symbol('foresight.logger');
export const NATS = Symbol('foresight.nats');
export const METRICS = Symbol('foresight.metrics');
export const PG_POOL = Symbol('foresight.pg-pool');
/** Provides the `Clock` of `@foresight/time` (the system clock). */
export const CLOCK = Symbol('foresight.clock');
