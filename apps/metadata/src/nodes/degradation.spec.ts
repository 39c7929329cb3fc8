import type { NodeHealthReport } from '@foresight/contracts';
import { DegradationJudge } from './degradation';

const policy = { p99Ms: 500, floorMs: 0, relativeFactor: 3, errorRate: 0.5, forMs: 400, cooldownMs: 5000, reportTtlMs: 750, minSamples: 20, graceMs: 1000 };
const live = ['a', 'b', 'c'];

function report(gateway: string, nodes: NodeHealthReport['nodes']): NodeHealthReport {
  return { gateway, windowMs: 1000, nodes };
}

describe('DegradationJudge', () => {
  it('drains a node slow for the whole window, not before, and keeps it out for the cooldown', () => {
    const j = new DegradationJudge(policy);
    const slow = report('g1', [
      { nodeId: 'a', count: 100, errors: 0, p99Ms: 20 },
      { nodeId: 'c', count: 100, errors: 0, p99Ms: 900 },
    ]);
    j.ingest(slow, 0);
    expect(j.drained(live, 0)).toEqual([]);
    j.ingest(slow, 250);
    expect(j.drained(live, 250)).toEqual([]);
    j.ingest(slow, 400);
    expect(j.drained(live, 400)).toEqual(['c']);
    // Drained, it gets no traffic and no report: out until the cooldown has passed.
    expect(j.drained(live, 3000)).toEqual(['c']);
    expect(j.drained(live, 5401)).toEqual([]);
  });

  it('counts timeouts: a node that times out half its attempts is degraded however fast the rest are', () => {
    const j = new DegradationJudge(policy);
    for (const t of [0, 200, 400]) {
      j.ingest(report('g1', [{ nodeId: 'b', count: 40, errors: 20, p99Ms: 30 }]), t);
      j.drained(live, t);
    }
    expect(j.drained(live, 400)).toEqual(['b']);
  });

  it('starts over when the node recovers within the window', () => {
    const j = new DegradationJudge(policy);
    j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]), 0);
    j.drained(live, 0);
    j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 50 }]), 300);
    j.drained(live, 300);
    j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]), 500);
    expect(j.drained(live, 500)).toEqual([]);
    expect(j.drained(live, 899)).toEqual([]);
    expect(j.drained(live, 900)).toEqual(['c']);
  });

  it('ignores thin evidence: too few attempts, or a percentile one gateway drew from a handful', () => {
    const j = new DegradationJudge(policy);
    j.ingest(report('g1', [{ nodeId: 'c', count: 5, errors: 5, p99Ms: 5000 }]), 0);
    j.ingest(report('g2', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 10 }]), 0);
    expect(j.drained(live, 0)).toEqual([]);
    expect(j.drained(live, 1000)).toEqual([]);
  });

  it('forgets the reports of a gateway that stopped reporting', () => {
    const j = new DegradationJudge(policy);
    j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]), 0);
    expect(j.drained(live, 0)).toEqual([]);
    expect(j.drained(live, 800)).toEqual([]);
  });

  it('never drains more than a minority of the live nodes, nor anything with one or two nodes', () => {
    const j = new DegradationJudge(policy);
    const all = () =>
      report(
        'g1',
        live.map((nodeId) => ({ nodeId, count: 100, errors: 0, p99Ms: 900 })),
      );
    j.ingest(all(), 0);
    j.drained(live, 0);
    j.ingest(all(), 400);
    expect(j.drained(live, 400)).toHaveLength(1);
    expect(j.drained(['a', 'b'], 400)).toEqual([]);
  });

  it('does not judge a node that has just gained shards (its first requests wait for the handoff), and runs the grace on from the slowness seen in it', () => {
    const j = new DegradationJudge(policy);
    j.gained(['c'], 0);
    // Slow all through the grace (1000): it runs on until 800 + 1000, then forMs (400).
    for (let t = 0; t < 2200; t += 200) {
      j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]), t);
      expect(j.drained(live, t)).toEqual([]);
    }
    j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]), 2200);
    expect(j.drained(live, 2200)).toEqual(['c']);
  });

  it('judges a node healthy through its grace at once after it', () => {
    const j = new DegradationJudge(policy);
    j.gained(['c'], 0);
    for (const t of [0, 250, 500, 750]) j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 40 }]), t);
    for (const t of [1000, 1200]) {
      j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]), t);
      expect(j.drained(live, t)).toEqual([]);
    }
    j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]), 1400);
    expect(j.drained(live, 1400)).toEqual(['c']);
  });

  it("does not drain a just-started replacement node for the start-up work still in the gateways' window after the grace", () => {
    // As in a chaos round: the leader's settings, a fresh node given a third of the shards at 0, taking
    // them over and warming up (attempts of 1.4 s) while its peers answer in 400 ms; the gateways' two-second
    // window holds those attempts until about 3 s, past the grace of 2.25 s, then the node answers in 150 ms.
    const j = new DegradationJudge({
      p99Ms: 750,
      floorMs: 400,
      relativeFactor: 3,
      errorRate: 0.5,
      forMs: 250,
      cooldownMs: 10_000,
      reportTtlMs: 750,
      minSamples: 20,
      graceMs: 2250,
    });
    const nodes = ['a', 'b', 'fresh'];
    j.drained(nodes, 0);
    j.gained(['fresh'], 0);
    const drains: string[][] = [];
    for (let t = 0; t <= 8000; t += 250) {
      const fresh = t < 500 ? null : t <= 3000 ? 1430 : 150;
      const r = report('g1', [
        { nodeId: 'a', count: 200, errors: 0, p99Ms: 400 },
        { nodeId: 'b', count: 200, errors: 0, p99Ms: 410 },
        ...(fresh === null ? [] : [{ nodeId: 'fresh', count: 99, errors: 0, p99Ms: fresh }]),
      ]);
      j.ingest(r, t);
      drains.push(j.drained(nodes, t + 10));
    }
    expect(drains.flat()).toEqual([]);
  });

  it('is off when the latency threshold is 0', () => {
    const j = new DegradationJudge({ ...policy, p99Ms: 0 });
    for (const t of [0, 500, 1000]) j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 100, p99Ms: 9000 }]), t);
    expect(j.drained(live, 1000)).toEqual([]);
  });

  describe('relative to the other live nodes', () => {
    const relative = { ...policy, p99Ms: 750, floorMs: 300, relativeFactor: 3, forMs: 250 };
    const feed = (j: DegradationJudge, ms: Record<string, number>, times: number[], nodes = live) => {
      let out: string[] = [];
      for (const t of times) {
        j.ingest(
          report(
            'g1',
            Object.entries(ms).map(([nodeId, p99Ms]) => ({ nodeId, count: 100, errors: 0, p99Ms })),
          ),
          t,
        );
        out = j.drained(nodes, t);
      }
      return out;
    };

    it('drains a node over the floor and well above its peers, after forMs and not before', () => {
      const j = new DegradationJudge(relative);
      expect(feed(j, { a: 40, b: 60, c: 400 }, [0, 200])).toEqual([]);
      expect(feed(j, { a: 40, b: 60, c: 400 }, [250])).toEqual(['c']);
    });

    it('drains none when every node is slow alike (a loaded host), below the absolute threshold', () => {
      const j = new DegradationJudge(relative);
      expect(feed(j, { a: 500, b: 550, c: 650 }, [0, 250, 500, 1000])).toEqual([]);
    });

    it('does not drain for a short stall under the floor, however far above its peers', () => {
      const j = new DegradationJudge(relative);
      expect(feed(j, { a: 10, b: 12, c: 250 }, [0, 250, 500, 1000])).toEqual([]);
    });

    it('starts over when a stall over the floor ends within forMs', () => {
      const j = new DegradationJudge(relative);
      expect(feed(j, { a: 20, b: 20, c: 450 }, [0])).toEqual([]);
      expect(feed(j, { a: 20, b: 20, c: 30 }, [200])).toEqual([]);
      expect(feed(j, { a: 20, b: 20, c: 450 }, [300, 500])).toEqual([]);
      expect(feed(j, { a: 20, b: 20, c: 450 }, [550])).toEqual(['c']);
    });

    it('still drains on the absolute threshold alone, whatever the peers', () => {
      const j = new DegradationJudge(relative);
      expect(feed(j, { a: 400, b: 500, c: 800 }, [0, 250])).toEqual(['c']);
    });

    it('says nothing relative without peers measured on enough attempts, nor against nodes no longer live', () => {
      const j = new DegradationJudge(relative);
      for (const t of [0, 250, 500]) {
        j.ingest(
          report('g1', [
            { nodeId: 'a', count: 5, errors: 0, p99Ms: 10 },
            { nodeId: 'c', count: 100, errors: 0, p99Ms: 450 },
            { nodeId: 'gone', count: 100, errors: 0, p99Ms: 10 },
          ]),
          t,
        );
        expect(j.drained(live, t)).toEqual([]);
      }
    });

    it('is off with a floor of 0', () => {
      const j = new DegradationJudge({ ...relative, floorMs: 0 });
      expect(feed(j, { a: 10, b: 10, c: 700 }, [0, 250, 500])).toEqual([]);
    });
  });

  it('keeps judging a node already degraded before it gained shards (the grace is for slowness the gain causes)', () => {
    const j = new DegradationJudge({ ...policy, forMs: 400 });
    const slow = () => report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]);
    j.ingest(slow(), 0);
    expect(j.drained(live, 0)).toEqual([]);
    j.gained(['c'], 100);
    j.ingest(slow(), 200);
    expect(j.drained(live, 200)).toEqual([]);
    j.ingest(slow(), 400);
    expect(j.drained(live, 400)).toEqual(['c']);
  });

  it("counts a node's time degraded from the first report saying so, not from the leader's next round", () => {
    const j = new DegradationJudge({ ...policy, forMs: 250 });
    expect(j.drained(live, 0)).toEqual([]);
    j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]), 100);
    j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]), 300);
    expect(j.drained(live, 340)).toEqual([]);
    expect(j.drained(live, 360)).toEqual(['c']);
  });

  it('starts over on a report of recovery that arrives between two rounds', () => {
    const j = new DegradationJudge({ ...policy, forMs: 250 });
    expect(j.drained(live, 0)).toEqual([]);
    j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]), 100);
    j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 50 }]), 200);
    j.ingest(report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]), 300);
    expect(j.drained(live, 400)).toEqual([]);
    expect(j.drained(live, 550)).toEqual(['c']);
  });

  it('says on the report that makes a node one to drain, once, so the leader can act before its next round', () => {
    const j = new DegradationJudge({ ...policy, forMs: 250 });
    const slow = () => report('g1', [{ nodeId: 'c', count: 100, errors: 0, p99Ms: 900 }]);
    expect(j.ingest(slow(), 0)).toBe(false);
    expect(j.drained(live, 0)).toEqual([]);
    expect(j.ingest(slow(), 125)).toBe(false);
    expect(j.ingest(slow(), 250)).toBe(true);
    expect(j.ingest(slow(), 375)).toBe(false);
    expect(j.drained(live, 380)).toEqual(['c']);
  });
});
