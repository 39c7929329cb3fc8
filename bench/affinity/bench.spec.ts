import { DEFAULT_EDGE_SCORE } from '@foresight/affinity-core';
import { seededRng } from '@foresight/random';
import { affinityCli } from './cli';
import { affinityPolicy, consistentHash, roundRobin } from './policies';
import { simulate } from './simulate';
import type { SimSession } from './traces';
import { fifaTrace } from './traces';
import { World, WORLD_DEFAULTS } from './world';

/** 400 sessions of 30 requests, 5 s apart, starting over an hour. */
function sessions(): SimSession[] {
  const rng = seededRng(3);
  return Array.from({ length: 400 }, (_, i) => {
    const start = Math.floor(rng() * 3_600_000);
    return { id: `s${i}`, clientKey: `c${i}`, requests: Array.from({ length: 30 }, (_, k) => start + k * 5000) };
  });
}

const sim = { l1TtlMs: 60_000, coldMs: 25, deadAttemptMs: 1000, leaseMs: 10_000, reportMs: 30_000 };

function world(kills: number): World {
  return new World(
    { edges: 4, zones: 2, sameZoneRttMs: 20, otherZoneRttMs: 90, kills, degradations: 1, ...WORLD_DEFAULTS },
    { start: 0, end: 3_600_000 + 150_000 },
    seededRng(1),
  );
}

describe('bench:affinity', () => {
  it('refuses bad options', () => {
    expect(() => affinityCli.parse([])).toThrow(/--apache/);
    expect(() => affinityCli.parse(['--fifa', 'x'])).toThrow(/--apache/);
    expect(() => affinityCli.parse(['--apache', 'x', '--edges', '1'])).toThrow();
    expect(() => affinityCli.parse(['--apache', 'x', '--edges', '3', '--kills', '2', '--degradations', '1'])).toThrow(/at least one edge/);
  });

  it('is reproducible for a seed', () => {
    const run = () => simulate(sessions(), affinityPolicy('predictive', { threshold: 40, score: DEFAULT_EDGE_SCORE }), world(1), sim, seededRng(5));
    expect(run()).toEqual(run());
  });

  it('answers every request through a kill, and sticks better than round-robin, with less latency than hashing', () => {
    const w = world(1);
    const rules = simulate(sessions(), affinityPolicy('rules', { threshold: 40, score: DEFAULT_EDGE_SCORE }), w, sim, seededRng(5));
    const rr = simulate(sessions(), roundRobin(), w, sim, seededRng(5));
    const ch = simulate(sessions(), consistentHash(), w, sim, seededRng(5));
    for (const r of [rules, rr, ch]) expect(r.failedRequests).toBe(0);
    expect(rules.requests).toBe(12_000);
    expect(rules.firstEdgeShare).toBeGreaterThan(rr.firstEdgeShare);
    expect(rules.addedLatencyMs.mean).toBeLessThan(ch.addedLatencyMs.mean);
  });

  it('reads FIFA-style lines, skipping bad ones', () => {
    const t = fifaTrace('1 2 3\n\nx y\n4 5\n', [1000], 60_000, 10, seededRng(1));
    expect(t.sessions.map((s) => s.requests.length)).toEqual([3, 2]);
    expect(t.skippedLines).toBe(1);
  });
});
