import { systemClock, systemTime } from './clock';

describe('systemClock', () => {
  it('reads the wall clock', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('comes with Node timers as systemTime', async () => {
    await new Promise<void>((resolve) => systemTime.setTimeout(resolve, 1));
    const never = systemTime.setTimeout(() => {
      throw new Error('cleared timers must not run');
    }, 1);
    systemTime.clearTimeout(never);
    await new Promise((r) => setTimeout(r, 10));
    expect(systemTime.now()).toBeGreaterThan(0);
  });
});
