import type { Clock } from '@foresight/time';
import { requireInt, requireNumber } from '../errors';

/** State of a {@link CircuitBreaker}. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  readonly failureThreshold?: number;
  /** First cool-down before a probe is let through (default 5,000 ms). */
  readonly openMs?: number;
  /** Cool-down doubles each time a probe fails, up to this (default 60,000 ms). */
  readonly maxOpenMs?: number;
  /** Probes allowed at once while half-open (default 1). */
  readonly halfOpenProbes?: number;
}

/**
 * Closed → open after `failureThreshold` consecutive failures; open → half-open once the cool-down
 * has passed; half-open lets `halfOpenProbes` requests through: a success closes the circuit, a
 * failure opens it again with twice the cool-down. Pure: time comes from the injected clock.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private cooldown: number;
  private probes = 0;
  private readonly threshold: number;
  private readonly baseOpenMs: number;
  private readonly maxOpenMs: number;
  private readonly maxProbes: number;
  /** Number of times the circuit opened. */
  trips = 0;

  constructor(
    private readonly clock: Clock,
    options: CircuitBreakerOptions = {},
  ) {
    this.threshold = requireInt('failureThreshold', options.failureThreshold ?? 5, 1);
    this.baseOpenMs = requireNumber('openMs', options.openMs ?? 5000, 0);
    this.maxOpenMs = requireNumber('maxOpenMs', options.maxOpenMs ?? 60_000, this.baseOpenMs);
    this.maxProbes = requireInt('halfOpenProbes', options.halfOpenProbes ?? 1, 1);
    this.cooldown = this.baseOpenMs;
  }

  /** Current state (an open circuit whose cool-down has passed reports half-open). */
  get state(): BreakerState {
    if (this.current === 'open' && this.clock.now() - this.openedAt >= this.cooldown) {
      this.current = 'half-open';
      this.probes = 0;
    }
    return this.current;
  }

  /** Milliseconds until a probe may be tried; 0 unless open. */
  get retryAfterMs(): number {
    return this.state === 'open' ? this.cooldown - (this.clock.now() - this.openedAt) : 0;
  }

  /** True when a request may go through; in half-open state this takes one of the probe slots. */
  tryAcquire(): boolean {
    switch (this.state) {
      case 'closed':
        return true;
      case 'open':
        return false;
      case 'half-open':
        if (this.probes >= this.maxProbes) return false;
        this.probes++;
        return true;
    }
  }

  /** The request succeeded. */
  onSuccess(): void {
    this.failures = 0;
    if (this.state === 'half-open') {
      this.current = 'closed';
      this.cooldown = this.baseOpenMs;
    }
  }

  /** The request failed. */
  onFailure(): void {
    const state = this.state;
    if (state === 'half-open') {
      this.cooldown = Math.min(this.maxOpenMs, this.cooldown * 2);
      this.open();
    } else if (state === 'closed' && ++this.failures >= this.threshold) {
      this.open();
    }
  }

  /** The request ended without a verdict (cancelled): frees its probe slot. */
  onAbandon(): void {
    if (this.state === 'half-open' && this.probes > 0) this.probes--;
  }

  private open(): void {
    this.current = 'open';
    this.openedAt = this.clock.now();
    this.failures = 0;
    this.trips++;
  }
}
