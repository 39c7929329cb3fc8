/**
 * The one source of "now" (epoch milliseconds), injected wherever time decides something — TTLs,
 * leases, expiry, breakers, schedules — so tests and simulations can set it.
 */
export interface Clock {
  now(): number;
}

/** Opaque handle of a scheduled timer. */
export type TimerHandle = unknown;

/** Timer service; injected so timeouts and retry back-off run on simulated time in tests and benchmarks. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Node's timers. */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Wall clock and Node timers together, for code that takes one `Clock & Timers`. */
export const systemTime: Clock & Timers = { ...systemClock, ...systemTimers };
