import { randomUUID } from 'node:crypto';
import { MAX_HEALTH_NODES, subjects, type NodeHealthReport } from '@foresight/contracts';
import { encode } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';

/** Attempts remembered per node; a busier gateway's window holds the latest ones. */
const MAX_SAMPLES = 20_000;
/**
 * How long a first attempt on a shard at a new epoch may take before it counts, unless told otherwise:
 * the default request timeout. A fresh node on a loaded host was measured taking 1.8 s over its first
 * attempts while taking shards over, so anything shorter still drained healthy replacement nodes.
 */
export const DEFAULT_TAKEOVER_ALLOWANCE_MS = 2000;
/** Past the cap, the oldest are dropped in batches: one shift of the arrays per this many attempts, not one per attempt. */
const TRIM_SLACK = 5_000;

/**
 * How the shard nodes answer this gateway: every attempt's latency and whether it timed out, over a
 * sliding window. Attempts still waiting count with the time they have waited so far, so a node that
 * has stopped answering looks slow at once, not only when its attempts time out. Summarised per node,
 * it is what {@link NodeHealthReporter} publishes for the metadata leader.
 *
 * An attempt begun as start-up work (`warmup`: see {@link NodeHealthReporter.begin}) counts only once
 * it has waited the takeover allowance (the request timeout), or if it times out: until then its latency is the
 * handoff's and the first load's, not the node's; past it, a node that takes shards over slowly, or is
 * slow on them, shows as such.
 */
export class NodeHealthWindow {
  private readonly samples = new Map<string, { at: number[]; ms: number[]; failed: boolean[] }>();
  private readonly pending = new Map<number, { nodeId: string; at: number; warmup: boolean }>();
  private nextId = 0;

  constructor(
    private readonly windowMs: number,
    private readonly takeoverAllowanceMs = DEFAULT_TAKEOVER_ALLOWANCE_MS,
  ) {}

  /** An attempt sent to `nodeId` at `at`; pass the id to {@link end}. */
  begin(nodeId: string, at: number, warmup = false): number {
    const id = this.nextId++;
    this.pending.set(id, { nodeId, at, warmup });
    return id;
  }

  /** The attempt is over: recorded as it went (`failed`: it timed out), or not at all (`null`, or start-up work answered). */
  end(id: number, at: number, failed: boolean | null): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (failed === true || (failed === false && (!p.warmup || at - p.at >= this.takeoverAllowanceMs))) this.record(p.nodeId, at, at - p.at, failed);
  }

  record(nodeId: string, at: number, ms: number, failed: boolean): void {
    let s = this.samples.get(nodeId);
    if (!s) {
      s = { at: [], ms: [], failed: [] };
      this.samples.set(nodeId, s);
    }
    s.at.push(at);
    s.ms.push(ms);
    s.failed.push(failed);
    if (s.at.length > MAX_SAMPLES + TRIM_SLACK) this.dropOldest(s, s.at.length - MAX_SAMPLES);
  }

  /** Per node with attempts in the window ending `now`: how many, how many failed, the 99th percentile latency. */
  summary(now: number): NodeHealthReport['nodes'] {
    const waiting = new Map<string, number[]>();
    for (const p of this.pending.values()) {
      if (p.warmup && now - p.at < this.takeoverAllowanceMs) continue;
      const ages = waiting.get(p.nodeId);
      if (ages) ages.push(now - p.at);
      else waiting.set(p.nodeId, [now - p.at]);
    }
    const out: NodeHealthReport['nodes'][number][] = [];
    for (const nodeId of new Set([...this.samples.keys(), ...waiting.keys()])) {
      const s = this.samples.get(nodeId) ?? { at: [], ms: [], failed: [] };
      const stale = s.at.findIndex((t) => t > now - this.windowMs);
      this.dropOldest(s, stale === -1 ? s.at.length : stale);
      const ms = [...s.ms, ...(waiting.get(nodeId) ?? [])];
      if (s.at.length === 0) this.samples.delete(nodeId);
      if (ms.length === 0) continue;
      const sorted = ms.sort((a, b) => a - b);
      const p99Ms = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
      out.push({ nodeId, count: ms.length, errors: s.failed.filter(Boolean).length, p99Ms });
    }
    return out.sort((a, b) => b.count - a.count).slice(0, MAX_HEALTH_NODES);
  }

  /** Whether some attempt still waiting at `now` has waited `ms` or longer. */
  waitingLongerThan(now: number, ms: number): boolean {
    for (const p of this.pending.values()) if (now - p.at >= (p.warmup ? Math.max(ms, this.takeoverAllowanceMs) : ms)) return true;
    return false;
  }

  private dropOldest(s: { at: number[]; ms: number[]; failed: boolean[] }, n: number): void {
    if (n <= 0) return;
    s.at.splice(0, n);
    s.ms.splice(0, n);
    s.failed.splice(0, n);
  }
}

export interface NodeHealthReporterDeps {
  readonly nc: NatsConnection;
  readonly namespace: string;
  readonly everyMs: number;
  readonly windowMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Report at once, rather than on the next period, when an attempt first waits this long (none
   * did at the last report): the leader's clock on a node turning slow starts that much sooner.
   * 0 or absent: only the period.
   */
  readonly urgentMs?: number;
  /** How long a first attempt on a shard at a new epoch may wait before it counts (default {@link DEFAULT_TAKEOVER_ALLOWANCE_MS}). */
  readonly takeoverAllowanceMs?: number;
}

/** How often the reporter looks for an attempt newly waiting past `urgentMs`. */
const URGENT_CHECK_MS = 25;

/** Publishes this gateway's view of every node it talks to (core NATS: a lost report costs one period). */
export class NodeHealthReporter {
  readonly gatewayId = `gw-${randomUUID()}`;
  readonly window: NodeHealthWindow;
  private timer: NodeJS.Timeout | null = null;
  private urgentTimer: NodeJS.Timeout | null = null;
  /** Some attempt had waited `urgentMs` at the last report: no early report until none has. */
  private overAtLastReport = false;
  /** Shard → the epoch at which its owner has answered this gateway (at most one entry per shard). */
  private readonly answeredAt = new Map<number, number>();
  /** Attempt id → its shard and epoch, while it runs. */
  private readonly routes = new Map<number, { shard: number; epoch: number }>();

  constructor(private readonly deps: NodeHealthReporterDeps) {
    this.window = new NodeHealthWindow(deps.windowMs, deps.takeoverAllowanceMs);
  }

  /**
   * An attempt on `route`. Until the node has answered once for the shard at the route's epoch, its
   * attempts there are start-up work, not its own pace: the first waits for the previous owner's
   * handoff and loads the session (from Postgres, on a node that held no warm copy), the others queue
   * behind it. They count only past `takeoverAllowanceMs` or if they time out. A node that just
   * joined, or just gained shards, is so judged by how it serves them, not by how it took them over.
   */
  begin(route: { readonly nodeId: string; readonly shard: number; readonly epoch: number }): number {
    const warmup = this.answeredAt.get(route.shard) !== route.epoch;
    const id = this.window.begin(route.nodeId, this.deps.clock.now(), warmup);
    this.routes.set(id, { shard: route.shard, epoch: route.epoch });
    return id;
  }

  end(id: number, failed: boolean | null): void {
    const route = this.routes.get(id);
    this.routes.delete(id);
    if (route && failed === false) this.answeredAt.set(route.shard, route.epoch);
    this.window.end(id, this.deps.clock.now(), failed);
  }

  start(): void {
    this.timer = setInterval(() => this.publish(), this.deps.everyMs);
    this.timer.unref();
    if ((this.deps.urgentMs ?? 0) > 0) {
      this.urgentTimer = setInterval(() => this.publishIfNewlyWaiting(), Math.min(URGENT_CHECK_MS, this.deps.everyMs));
      this.urgentTimer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.urgentTimer) clearInterval(this.urgentTimer);
    this.timer = null;
    this.urgentTimer = null;
  }

  /** Publishes now if an attempt has newly waited `urgentMs` since the last report; returns whether it did. */
  publishIfNewlyWaiting(): boolean {
    const urgentMs = this.deps.urgentMs ?? 0;
    if (urgentMs <= 0 || this.overAtLastReport) return false;
    if (!this.window.waitingLongerThan(this.deps.clock.now(), urgentMs)) return false;
    this.publish();
    return true;
  }

  publish(): void {
    const now = this.deps.clock.now();
    const urgentMs = this.deps.urgentMs ?? 0;
    this.overAtLastReport = urgentMs > 0 && this.window.waitingLongerThan(now, urgentMs);
    const nodes = this.window.summary(now);
    if (nodes.length === 0) return;
    const report: NodeHealthReport = { gateway: this.gatewayId, windowMs: this.deps.windowMs, nodes };
    try {
      this.deps.nc.publish(subjects(this.deps.namespace).nodeHealth, encode(report));
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not publish node health');
    }
  }
}
