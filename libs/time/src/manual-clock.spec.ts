import { ManualClock } from './manual-clock';

describe('ManualClock', () => {
  it('runs due timers in time order, each seeing its own due time, and skips cleared ones', () => {
    const clock = new ManualClock(100);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    const c = clock.setTimeout(() => seen.push('c'), 15);
    clock.setTimeout(() => seen.push(`d@${clock.now()}`), 20);
    clock.clearTimeout(c);
    clock.advance(15);
    expect(seen).toEqual(['a@110']);
    clock.advanceTo(200);
    expect(seen).toEqual(['a@110', 'b@120', 'd@120']);
    expect(clock.now()).toBe(200);
    expect(clock.pending).toBe(0);
  });

  it('runs timers scheduled by timers when they fall due within the same advance', () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => seen.push(clock.now()), 5), 5);
    clock.advance(20);
    expect(seen).toEqual([10]);
  });

  it('does not count a timer cleared after it ran as one less pending', () => {
    const clock = new ManualClock();
    const ran = clock.setTimeout(() => undefined, 5);
    clock.setTimeout(() => undefined, 50);
    clock.advance(10);
    clock.clearTimeout(ran);
    expect(clock.pending).toBe(1);
    expect(clock.nextTimerAt()).toBe(50);
  });
});
