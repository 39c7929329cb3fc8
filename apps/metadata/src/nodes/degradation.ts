import type { NodeHealthReport } from '@foresight/contracts';

export interface DegradationPolicy {
  /** A node whose 99th-percentile latency reaches this is degraded (0: latency never counts). */
  readonly p99Ms: number;
  /**
   * …or whose 99th-percentile latency reaches this lower floor (0: off) and is at least
   * `relativeFactor` times the median of the other live nodes' (a loaded host slows every node alike).
   */
  readonly floorMs: number;
  readonly relativeFactor: number;
  /** …or whose share of timed-out attempts reaches this. */
  readonly errorRate: number;
  /** Degraded this long without a break: its shards move. */
  readonly forMs: number;
  /** A drained node gets no shard back for this long after it was last seen degraded. */
  readonly cooldownMs: number;
  /** Reports older than this are forgotten (a gateway that stopped reporting). */
  readonly reportTtlMs: number;
  /** Fewer attempts than this in a window say nothing. */
  readonly minSamples: number;
  /**
   * A node that has just gained shards is not judged for this long: its first requests wait for the
   * handoff or rebuild sessions, which is not the node's slowness (and would bounce shards back).
   * Slowness seen within the grace is start-up work still in the gateways' window, and the grace runs
   * on from the last report showing it (so at most twice as long): the window has forgotten it by then.
   * A node already seen degraded before it gained them is judged on: its slowness is its own.
   */
  readonly graceMs: number;
}

/** Why a node has just become one to drain: the merged evidence at that moment (for the leader's log). */
export interface DrainVerdict {
  readonly nodeId: string;
  /** Attempts, timed-out attempts and the highest well-founded p99 over the fresh reports. */
  readonly count: number;
  readonly errors: number;
  readonly p99Ms: number;
  /** Median p99 of the other measured live nodes (null: none measured). */
  readonly peersP99Ms: number | null;
  readonly degradedForMs: number;
  /** Since the leader last gave it shards (null: not since it was first seen). */
  readonly sinceGainMs: number | null;
}

interface NodeState {
  degradedSince?: number;
  drainedUntil?: number;
  gainedAt?: number;
  /** Not judged before this (after a gain), unless it was slow before it. */
  settlesAt?: number;
}

/**
 * Decides, from the gateways' health reports, which shard nodes to keep out of the assignment: the
 * failure detector handles nodes that are gone or frozen; this handles nodes that still answer, but
 * too slowly or with too many timeouts, as the clients' side sees it. Pure: the leader feeds it.
 *
 * It never drains more than ⌊(live − 1) / 2⌋ nodes (so never with one or two nodes): moving a slow
 * node's load onto too few others would make them slow in turn.
 */
export class DegradationJudge {
  private readonly reports = new Map<string, { at: number; report: NodeHealthReport }>();
  private readonly nodes = new Map<string, NodeState>();
  /** The live nodes of the last decision: reports are weighed against them as they arrive. */
  private live: string[] | null = null;

  constructor(
    private readonly policy: DegradationPolicy,
    private readonly onVerdict?: (verdict: DrainVerdict) => void,
  ) {}

  /** Off when the latency threshold is 0. */
  get enabled(): boolean {
    return this.policy.p99Ms > 0;
  }

  /** `nodes` have just been given shards. */
  gained(nodes: Iterable<string>, now: number): void {
    for (const nodeId of nodes) this.nodes.set(nodeId, { ...this.nodes.get(nodeId), gainedAt: now, settlesAt: now + this.policy.graceMs });
  }

  /**
   * A report is weighed as it arrives (against the live nodes of the last decision), so a node's time
   * degraded starts with the first report that says so, not with the leader's next round. Returns
   * whether a node has just become one to drain (the leader need not wait for its next round).
   */
  ingest(report: NodeHealthReport, now: number): boolean {
    this.reports.set(report.gateway, { at: now, report });
    if (!this.enabled || !this.live) return false;
    const before = new Set(this.live.filter((n) => (this.nodes.get(n)?.drainedUntil ?? 0) > now));
    this.judge(this.live, now);
    return this.live.some((n) => !before.has(n) && (this.nodes.get(n)?.drainedUntil ?? 0) > now);
  }

  /** The nodes of `live` whose shards should go elsewhere now, the longest-drained first. */
  drained(live: readonly string[], now: number): string[] {
    if (!this.enabled) return [];
    this.live = [...live];
    this.judge(live, now);
    const cap = Math.floor((live.length - 1) / 2);
    return live
      .filter((n) => (this.nodes.get(n)?.drainedUntil ?? 0) > now)
      .sort((a, b) => this.nodes.get(a)!.drainedUntil! - this.nodes.get(b)!.drainedUntil!)
      .slice(0, cap);
  }

  /** Brings every live node's state up to `now` from the fresh reports. */
  private judge(live: readonly string[], now: number): void {
    for (const [gateway, r] of this.reports) if (now - r.at > this.policy.reportTtlMs) this.reports.delete(gateway);
    const degraded = this.degradedNow(live);
    for (const nodeId of live) {
      const state = this.nodes.get(nodeId) ?? {};
      const slowBeforeGain = state.degradedSince !== undefined && state.gainedAt !== undefined && state.degradedSince <= state.gainedAt;
      const evidence = degraded.get(nodeId);
      const inGrace = state.gainedAt !== undefined && now - state.gainedAt < this.policy.graceMs;
      // Slow while taking the shards over: that work leaves the window a grace after the last report of it.
      if (evidence && inGrace && !slowBeforeGain) state.settlesAt = Math.max(state.settlesAt ?? 0, now + this.policy.graceMs);
      const settling = (state.settlesAt ?? 0) > now && !slowBeforeGain;
      if (evidence && !settling) {
        state.degradedSince ??= now;
        if (now - state.degradedSince >= this.policy.forMs) {
          if ((state.drainedUntil ?? 0) <= now) {
            this.onVerdict?.({
              nodeId,
              ...evidence,
              degradedForMs: now - state.degradedSince,
              sinceGainMs: state.gainedAt === undefined ? null : now - state.gainedAt,
            });
          }
          state.drainedUntil = now + this.policy.cooldownMs;
        }
      } else {
        delete state.degradedSince;
      }
      this.nodes.set(nodeId, state);
    }
    for (const nodeId of this.nodes.keys()) if (!live.includes(nodeId)) this.nodes.delete(nodeId);
  }

  /** Nodes over a threshold in the merged fresh reports (absolute, or the floor and well above their live peers), with the evidence. */
  private degradedNow(live: readonly string[]): Map<string, Omit<DrainVerdict, 'nodeId' | 'degradedForMs' | 'sinceGainMs'>> {
    const merged = new Map<string, { count: number; errors: number; p99Ms: number; measured: boolean }>();
    for (const { report } of this.reports.values()) {
      for (const n of report.nodes) {
        const m = merged.get(n.nodeId) ?? { count: 0, errors: 0, p99Ms: 0, measured: false };
        m.count += n.count;
        m.errors += n.errors;
        // A gateway's percentile counts only when it rests on enough attempts of its own.
        if (n.count >= this.policy.minSamples) {
          m.p99Ms = Math.max(m.p99Ms, n.p99Ms);
          m.measured = true;
        }
        merged.set(n.nodeId, m);
      }
    }
    // Only percentiles resting on enough attempts, of nodes still live, say what "normal" is here.
    const measured = new Map<string, number>();
    for (const [nodeId, m] of merged) if (m.measured && live.includes(nodeId)) measured.set(nodeId, m.p99Ms);
    const out = new Map<string, Omit<DrainVerdict, 'nodeId' | 'degradedForMs' | 'sinceGainMs'>>();
    for (const [nodeId, m] of merged) {
      if (m.count < this.policy.minSamples) continue;
      const peers = [...measured].filter(([n]) => n !== nodeId).map(([, ms]) => ms);
      const peersP99Ms = peers.length === 0 ? null : median(peers);
      const slow = m.p99Ms >= this.policy.p99Ms || this.slowAmongPeers(m.p99Ms, peersP99Ms);
      const failing = m.errors / m.count >= this.policy.errorRate;
      if (slow || failing) out.set(nodeId, { count: m.count, errors: m.errors, p99Ms: m.p99Ms, peersP99Ms });
    }
    return out;
  }

  /** At or over the floor and at least `relativeFactor` × the median p99 of the other measured live nodes (none measured: no verdict). */
  private slowAmongPeers(p99Ms: number, peersP99Ms: number | null): boolean {
    if (this.policy.floorMs <= 0 || p99Ms < this.policy.floorMs || peersP99Ms === null) return false;
    return p99Ms >= this.policy.relativeFactor * peersP99Ms;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
