import { edgeScore, type EdgeState } from './edge-score';
import { freshStickiness, observe, predictiveWeight } from './predictive';
import { route } from './routing';

const edge = (edgeId: string, zone: string, over: Partial<EdgeState> = {}): EdgeState => ({
  edgeId,
  zone,
  healthy: true,
  sessions: 0,
  capacity: 100,
  ...over,
});
const edges = [edge('eu-1', 'eu'), edge('eu-2', 'eu'), edge('us-1', 'us')];

describe('routing', () => {
  it('keeps a session on its healthy edge while its weight is at the threshold or above', () => {
    expect(route({ key: 's1', current: 'us-1', weight: 40, threshold: 40, clientZone: 'eu', edges })).toEqual({ edgeId: 'us-1', reason: 'kept', moved: false });
  });

  it('moves a session below the threshold to another healthy edge', () => {
    const d = route({ key: 's1', current: 'eu-1', weight: 10, threshold: 40, clientZone: 'eu', edges });
    expect(d.reason).toBe('low-weight');
    expect(d.moved).toBe(true);
    expect(d.edgeId).not.toBe('eu-1');
  });

  it('moves every session of a failed edge to healthy ones, whatever its weight', () => {
    const down = edges.map((e) => (e.edgeId === 'eu-1' ? { ...e, healthy: false } : e));
    for (let i = 0; i < 200; i++) {
      const d = route({ key: `s${i}`, current: 'eu-1', weight: 100, threshold: 40, clientZone: 'eu', edges: down });
      expect(d.reason).toBe('edge-down');
      expect(['eu-2', 'us-1']).toContain(d.edgeId);
    }
  });

  it('places most new sessions in the client zone, spread over its edges', () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const d = route({ key: `s${i}`, weight: 50, threshold: 40, clientZone: 'eu', edges });
      counts[d.edgeId!] = (counts[d.edgeId!] ?? 0) + 1;
    }
    expect((counts['eu-1'] ?? 0) + (counts['eu-2'] ?? 0)).toBeGreaterThan(1800);
    expect(counts['eu-1']).toBeGreaterThan(700);
    expect(counts['eu-2']).toBeGreaterThan(700);
  });

  it('sends sessions with one key (a user) to one edge', () => {
    const a = route({ key: 'user-7', weight: 50, threshold: 40, clientZone: 'eu', edges });
    const b = route({ key: 'user-7', weight: 50, threshold: 40, clientZone: 'eu', edges });
    expect(a.edgeId).toBe(b.edgeId);
  });

  describe('forecast placement (the predictive policy)', () => {
    const forecast = { marginMs: 25, failureCostMs: 300 };
    const place = (all: readonly EdgeState[], withForecast: boolean) => {
      const counts: Record<string, number> = {};
      for (let i = 0; i < 4000; i++) {
        const d = route({ key: `s${i}`, weight: 50, threshold: 40, clientZone: 'eu', edges: all, ...(withForecast ? { forecast } : {}) });
        counts[d.edgeId!] = (counts[d.edgeId!] ?? 0) + 1;
      }
      return counts;
    };

    it('given edges in another zone, then no new session is drawn there, and the zone’s edges share the sessions', () => {
      const counts = place(edges, true);
      expect(counts['us-1']).toBeUndefined();
      expect(counts['eu-1']).toBeGreaterThan(1600);
      expect(counts['eu-2']).toBeGreaterThan(1600);
      // Plain weighted rendezvous draws a few there (its share follows the score).
      expect(place(edges, false)['us-1']).toBeGreaterThan(0);
    });

    it('given an edge the zone’s reports show degrading (slower, failing), then new sessions avoid it', () => {
      const degrading = [edge('eu-1', 'eu', { rttMsByZone: { eu: 45 }, errorRate: 0.03 }), edge('eu-2', 'eu', { rttMsByZone: { eu: 21 } }), edge('us-1', 'us')];
      expect(place(degrading, true)).toEqual({ 'eu-2': 4000 });
    });

    it('given edges within the margin of the best, then all of them are candidates', () => {
      const close = [edge('eu-1', 'eu', { rttMsByZone: { eu: 30 } }), edge('eu-2', 'eu', { rttMsByZone: { eu: 21 } }), edge('us-1', 'us')];
      const counts = place(close, true);
      expect(counts['eu-1']).toBeGreaterThan(400);
      expect(counts['eu-2']).toBeGreaterThan(2000);
      expect(counts['us-1']).toBeUndefined();
    });

    it('given only edges far away, then it still places the session on the best of them', () => {
      const far = [edge('us-1', 'us'), edge('ap-1', 'ap', { rttMsByZone: { eu: 300 } })];
      expect(place(far, true)).toEqual({ 'us-1': 4000 });
    });
  });

  it('keeps the current edge when no edge is healthy', () => {
    const none = edges.map((e) => ({ ...e, healthy: false }));
    expect(route({ key: 's', current: 'eu-1', weight: 90, threshold: 40, edges: none })).toEqual({ edgeId: 'eu-1', reason: 'edge-down', moved: false });
  });

  it('scores a loaded, failing or slow edge below an idle fast one, and a dead one 0', () => {
    const fast = edgeScore(edge('a', 'eu'), 'eu');
    expect(edgeScore(edge('a', 'eu', { sessions: 90 }), 'eu')).toBeLessThan(fast);
    expect(edgeScore(edge('a', 'eu', { errorRate: 0.1 }), 'eu')).toBeLessThan(fast);
    expect(edgeScore(edge('a', 'eu', { rttMsByZone: { eu: 150 } }), 'eu')).toBeLessThan(fast);
    expect(edgeScore(edge('a', 'eu', { healthy: false }), 'eu')).toBe(0);
  });
});

describe('the predictive weight', () => {
  const ok = { rttMs: 20, requests: 50, errors: 0, requestRatePerSecond: 1 };

  it('given an edge as good as any other, then the weight stays at 50 or above', () => {
    const s = observe(freshStickiness(20, 0), ok, 10_000);
    expect(predictiveWeight(s, 20)).toBeGreaterThanOrEqual(50);
  });

  it('given a rising RTT, then the weight falls before the RTT is past the alternative', () => {
    let s = freshStickiness(20, 0);
    for (let i = 1; i <= 5; i++) s = observe(s, { ...ok, rttMs: 20 + 10 * i }, i * 10_000);
    // The last report (70 ms) is only 10 ms worse than the 60 ms alternative, but the trend says it keeps rising.
    expect(predictiveWeight(s, 60)).toBeLessThan(40);
  });

  it('given one failure in a few attempts, then the prior keeps the weight up; given many, it falls', () => {
    const one = observe(freshStickiness(20, 0), { ...ok, requests: 5, errors: 1 }, 10_000);
    expect(predictiveWeight(one, 20)).toBeGreaterThanOrEqual(40);
    const many = observe(freshStickiness(20, 0), { ...ok, requests: 100, errors: 30 }, 10_000);
    expect(predictiveWeight(many, 20)).toBeLessThan(10);
  });

  it('given no alternative, then 100', () => {
    expect(predictiveWeight(freshStickiness(500, 0), Infinity)).toBe(100);
  });
});
