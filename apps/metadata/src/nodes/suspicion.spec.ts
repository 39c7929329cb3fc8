import { SuspicionTracker } from './suspicion';

describe('SuspicionTracker', () => {
  it('gives no verdict for a node that answers, and forgets a failure once it answers again', () => {
    const t = new SuspicionTracker(1000, 500);
    expect(t.record('a', 'answered', 0, 5)).toBeNull();
    expect(t.record('a', 'silent', 100, 350)).toBeNull();
    expect(t.record('a', 'answered', 400, 405)).toBeNull();
    expect(t.size).toBe(0);
    // The silence starts again from scratch: 600 ms of it is not enough.
    expect(t.record('a', 'silent', 1000, 1250)).toBeNull();
    expect(t.record('a', 'silent', 1300, 1600)).toBeNull();
  });

  it('asks for a verdict after two "no responders" in a row, silent since the first of the two was sent and for a missed heartbeat', () => {
    const t = new SuspicionTracker(1000, 500);
    expect(t.record('a', 'no_responders', 100, 102)).toBeNull();
    expect(t.noRespondersOf('a')).toBe(1);
    expect(t.record('a', 'no_responders', 130, 131)).toEqual({ signal: 'no_responders', silentMs: 500 });
    expect(t.record('a', 'no_responders', 700, 702)).toEqual({ signal: 'no_responders', silentMs: 572 });
  });

  it('does not count "no responders" across a probe that went unanswered', () => {
    const t = new SuspicionTracker(1000, 500);
    t.record('a', 'no_responders', 0, 1);
    t.record('a', 'silent', 100, 350);
    expect(t.record('a', 'no_responders', 400, 401)).toBeNull();
    expect(t.record('a', 'no_responders', 450, 451)).toEqual({ signal: 'no_responders', silentMs: 500 });
    // The silence asked for counts from the previous probe that found nobody, however long the streak.
    expect(t.record('a', 'no_responders', 1400, 1401)).toEqual({ signal: 'no_responders', silentMs: 951 });
    expect(t.record('a', 'no_responders', 1500, 1501)).toEqual({ signal: 'no_responders', silentMs: 500 });
  });

  it('asks for a verdict after the suspicion window without an answer, for exactly that window of silence', () => {
    const t = new SuspicionTracker(1000, 500);
    expect(t.record('a', 'silent', 0, 250)).toBeNull();
    expect(t.record('a', 'silent', 300, 550)).toBeNull();
    expect(t.record('a', 'silent', 800, 999)).toBeNull();
    expect(t.record('a', 'silent', 1000, 1250)).toEqual({ signal: 'silent', silentMs: 1000 });
  });

  it('ignores inconclusive probes, and forgets nodes that are no longer live', () => {
    const t = new SuspicionTracker(1000, 500);
    expect(t.record('a', 'inconclusive', 0, 5000)).toBeNull();
    expect(t.size).toBe(0);
    t.record('a', 'silent', 0, 100);
    t.record('b', 'silent', 0, 100);
    t.keepOnly(new Set(['b']));
    expect(t.size).toBe(1);
    expect(t.record('a', 'silent', 2000, 2100)).toBeNull();
    expect(t.record('b', 'silent', 2000, 2100)).toEqual({ signal: 'silent', silentMs: 1000 });
  });
});
