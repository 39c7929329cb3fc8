import { CoalescedRefresh } from './coalesced-refresh';

/** A load whose calls the test completes by hand, one version at a time. */
function manualLoad() {
  const calls: { resolve: (version: number) => void; reject: (error: Error) => void }[] = [];
  const load = () => new Promise<number>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, load };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('CoalescedRefresh', () => {
  it('runs one refresh and queues at most one more, however many notices arrive', async () => {
    const { calls, load } = manualLoad();
    let runs = 0;
    const refresh = new CoalescedRefresh(load, () => runs++);
    for (let i = 0; i < 10_000; i++) refresh.notice(5);
    await settle();
    expect(runs).toBe(1);
    calls[0]!.resolve(4); // the notices claimed 5 before this refresh started: it may have read too early
    await settle();
    expect(runs).toBe(2);
    calls[1]!.resolve(5);
    await settle();
    expect(runs).toBe(2);
    expect(refresh.appliedVersion).toBe(5);
  });

  it('ignores notices for a version already applied', async () => {
    const { calls, load } = manualLoad();
    let runs = 0;
    const refresh = new CoalescedRefresh(load, () => runs++);
    void refresh.refresh();
    calls[0]!.resolve(7);
    await settle();
    for (const v of [7, 6, 0, -1, Number.NaN, '8', null, 1e300]) expect(refresh.notice(v)).toBe(false);
    await settle();
    expect(runs).toBe(1);
    expect(refresh.notice(8)).toBe(true);
    await settle();
    expect(runs).toBe(2);
  });

  it('stops honouring a claimed version that a later refresh did not find, until the state really changes', async () => {
    const { calls, load } = manualLoad();
    let runs = 0;
    const refresh = new CoalescedRefresh(load, () => runs++);
    void refresh.refresh();
    calls[0]!.resolve(3);
    await settle();
    expect(refresh.notice(1000)).toBe(true);
    await settle();
    calls[1]!.resolve(3); // started after the claim: version 1000 does not exist
    await settle();
    for (let i = 0; i < 10_000; i++) refresh.notice(1000);
    await settle();
    expect(runs).toBe(2);
    // A real change (seen by an explicit refresh) makes notices count again.
    void refresh.refresh();
    calls[2]!.resolve(4);
    await settle();
    expect(refresh.notice(5)).toBe(true);
    await settle();
    expect(runs).toBe(4);
  });

  it('gives every explicit caller a refresh that started after its call, sharing one queued run', async () => {
    const { calls, load } = manualLoad();
    let runs = 0;
    const refresh = new CoalescedRefresh(load, () => runs++);
    const first = refresh.refresh();
    const waiting = [refresh.refresh(), refresh.refresh(), refresh.refresh()];
    await settle();
    expect(runs).toBe(1);
    calls[0]!.resolve(1);
    await first;
    await settle();
    expect(runs).toBe(2);
    calls[1]!.resolve(2);
    await Promise.all(waiting);
    expect(refresh.appliedVersion).toBe(2);
    expect(runs).toBe(2);
  });

  it('passes a failed load to the callers that waited for it and recovers', async () => {
    const { calls, load } = manualLoad();
    const refresh = new CoalescedRefresh(load);
    const failing = refresh.refresh();
    calls[0]!.reject(new Error('metadata down'));
    await expect(failing).rejects.toThrow('metadata down');
    const next = refresh.refresh();
    calls[1]!.resolve(9);
    await expect(next).resolves.toBeUndefined();
    expect(refresh.appliedVersion).toBe(9);
  });

  it('does not start a second refresh while the queued one takes over', async () => {
    const { calls, load } = manualLoad();
    let active = 0;
    let maxActive = 0;
    const refresh = new CoalescedRefresh(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        return await load();
      } finally {
        active--;
      }
    });
    void refresh.refresh();
    void refresh.refresh();
    calls[0]!.resolve(1);
    // Callers arriving in every microtask around the hand-over.
    for (let i = 0; i < 20; i++) {
      void refresh.refresh();
      await Promise.resolve();
    }
    await settle();
    expect(maxActive).toBe(1);
    for (let i = 1; i < calls.length; i++) calls[i]!.resolve(i + 1);
    await settle();
    for (let i = 1; i < calls.length; i++) calls[i]!.resolve(i + 1);
    await settle();
    expect(maxActive).toBe(1);
  });
});
