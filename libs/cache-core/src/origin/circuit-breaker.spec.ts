import { ManualClock } from '@foresight/time';
import { CircuitBreaker } from './circuit-breaker';
import { Ewma } from './ewma';

describe('CircuitBreaker', () => {
  it('opens after consecutive failures, half-opens after the cool-down, closes on a good probe', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(clock, { failureThreshold: 3, openMs: 1000 });
    b.onFailure();
    b.onFailure();
    b.onSuccess();
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    clock.advance(999);
    expect(b.retryAfterMs).toBe(1);
    clock.advance(1);
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.onSuccess();
    expect(b.state).toBe('closed');
    expect(b.trips).toBe(1);
  });

  it('doubles the cool-down when a probe fails, up to the cap, and resets it once closed', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(clock, { failureThreshold: 1, openMs: 100, maxOpenMs: 300 });
    b.onFailure();
    for (const wait of [100, 200, 300, 300]) {
      clock.advance(wait - 1);
      expect(b.state).toBe('open');
      clock.advance(1);
      expect(b.tryAcquire()).toBe(true);
      b.onFailure();
    }
    clock.advance(300);
    b.tryAcquire();
    b.onSuccess();
    b.onFailure();
    clock.advance(100);
    expect(b.state).toBe('half-open');
  });

  it('frees a probe slot when the probe is abandoned', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(clock, { failureThreshold: 1, openMs: 10 });
    b.onFailure();
    clock.advance(10);
    expect(b.tryAcquire()).toBe(true);
    b.onAbandon();
    expect(b.tryAcquire()).toBe(true);
  });
});

describe('EWMA', () => {
  it('EWMA starts from the initial value, takes the first sample, then smooths', () => {
    const e = new Ewma(0.5, 50);
    expect(e.value).toBe(50);
    e.update(10);
    expect(e.value).toBe(10);
    e.update(30);
    expect(e.value).toBe(20);
    expect(e.samples).toBe(2);
  });
});
