import { ManualClock } from './manual-clock';
import { sleep, SleepAborted } from './sleep';

describe('sleep', () => {
  it('resolves when its timer falls due on the injected timers', async () => {
    const clock = new ManualClock();
    let done = false;
    const slept = sleep(100, { timers: clock }).then(() => (done = true));
    clock.advance(99);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await slept;
    expect(done).toBe(true);
  });

  it('rejects and cancels its timer when the signal aborts, at once if it already has', async () => {
    const clock = new ManualClock();
    const ac = new AbortController();
    const slept = sleep(100, { timers: clock, signal: ac.signal });
    ac.abort('stop');
    await expect(slept).rejects.toBeInstanceOf(SleepAborted);
    expect(clock.pending).toBe(0);
    await expect(sleep(5, { timers: clock, signal: ac.signal })).rejects.toMatchObject({ cause: 'stop' });
  });

  it('runs on the real timers by default', async () => {
    const started = Date.now();
    await sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });
});
