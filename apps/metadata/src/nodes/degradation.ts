import type { NodeHealthReport } from '@foresight/contracts';

export interface DegradationPolicy {
  /** A node whose 99th-percentile latency reaches this is degraded (0: latency never counts). */
  readonly p99Ms: number;
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
   */
  readonly graceMs: number;
}

interface NodeState {
  degradedSince?: number;
  drainedUntil?: number;
  gainedAt?: number;
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

  constructor(private readonly policy: DegradationPolicy) {}

  /** Off when the latency threshold is 0. */
  get enabled(): boolean {
    return this.policy.p99Ms > 0;
  }

  /** `nodes` have just been given shards. */
  gained(nodes: Iterable<string>, now: number): void {
    for (const nodeId of nodes) this.nodes.set(nodeId, { ...this.nodes.get(nodeId), gainedAt: now });
  }

  ingest(report: NodeHealthReport, now: number): void {
    this.reports.set(report.gateway, { at: now, report });
  }

  /** The nodes of `live` whose shards should go elsewhere now, the longest-drained first. */
  drained(live: readonly string[], now: number): string[] {
    if (!this.enabled) return [];
    for (const [gateway, r] of this.reports) if (now - r.at > this.policy.reportTtlMs) this.reports.delete(gateway);
    const degraded = this.degradedNow();
    for (const nodeId of live) {
      const state = this.nodes.get(nodeId) ?? {};
      const settling = state.gainedAt !== undefined && now - state.gainedAt < this.policy.graceMs;
      if (degraded.has(nodeId) && !settling) {
        state.degradedSince ??= now;
        if (now - state.degradedSince >= this.policy.forMs) state.drainedUntil = now + this.policy.cooldownMs;
      } else {
        delete state.degradedSince;
      }
      this.nodes.set(nodeId, state);
    }
    for (const nodeId of this.nodes.keys()) if (!live.includes(nodeId)) this.nodes.delete(nodeId);
    const cap = Math.floor((live.length - 1) / 2);
    return live
      .filter((n) => (this.nodes.get(n)?.drainedUntil ?? 0) > now)
      .sort((a, b) => this.nodes.get(a)!.drainedUntil! - this.nodes.get(b)!.drainedUntil!)
      .slice(0, cap);
  }

  /** Nodes over a threshold in the merged fresh reports. */
  private degradedNow(): Set<string> {
    const merged = new Map<string, { count: number; errors: number; p99Ms: number }>();
    for (const { report } of this.reports.values()) {
      for (const n of report.nodes) {
        const m = merged.get(n.nodeId) ?? { count: 0, errors: 0, p99Ms: 0 };
        m.count += n.count;
        m.errors += n.errors;
        // A gateway's percentile counts only when it rests on enough attempts of its own.
        if (n.count >= this.policy.minSamples) m.p99Ms = Math.max(m.p99Ms, n.p99Ms);
        merged.set(n.nodeId, m);
      }
    }
    const out = new Set<string>();
    for (const [nodeId, m] of merged) {
      if (m.count < this.policy.minSamples) continue;
      const slow = m.p99Ms >= this.policy.p99Ms;
      const failing = m.errors / m.count >= this.policy.errorRate;
      if (slow || failing) out.add(nodeId);
    }
    return out;
  }
}
