import { randomUUID } from 'node:crypto';
import { MAX_HEALTH_NODES, subjects, type NodeHealthReport } from '@foresight/contracts';
import { encode } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';

/** Attempts remembered per node; a busier gateway's window holds the latest ones. */
const MAX_SAMPLES = 20_000;

/**
 * How the shard nodes answer this gateway: every attempt's latency and whether it failed for the
 * node's sake (a timeout, or nobody or nothing able to serve), over a sliding window. Summarised
 * per node, it is what {@link NodeHealthReporter} publishes for the metadata leader.
 */
export class NodeHealthWindow {
  private readonly samples = new Map<string, { at: number[]; ms: number[]; failed: boolean[] }>();

  constructor(private readonly windowMs: number) {}

  record(nodeId: string, at: number, ms: number, failed: boolean): void {
    let s = this.samples.get(nodeId);
    if (!s) {
      s = { at: [], ms: [], failed: [] };
      this.samples.set(nodeId, s);
    }
    s.at.push(at);
    s.ms.push(ms);
    s.failed.push(failed);
    if (s.at.length > MAX_SAMPLES) this.dropOldest(s, s.at.length - MAX_SAMPLES);
  }

  /** Per node with attempts in the window ending `now`: how many, how many failed, the 99th percentile latency. */
  summary(now: number): NodeHealthReport['nodes'] {
    const out: NodeHealthReport['nodes'][number][] = [];
    for (const [nodeId, s] of this.samples) {
      const stale = s.at.findIndex((t) => t > now - this.windowMs);
      this.dropOldest(s, stale === -1 ? s.at.length : stale);
      if (s.at.length === 0) {
        this.samples.delete(nodeId);
        continue;
      }
      const sorted = [...s.ms].sort((a, b) => a - b);
      const p99Ms = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
      out.push({ nodeId, count: s.at.length, errors: s.failed.filter(Boolean).length, p99Ms });
    }
    return out.sort((a, b) => b.count - a.count).slice(0, MAX_HEALTH_NODES);
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
}

/** Publishes this gateway's view of every node it talks to (core NATS: a lost report costs one period). */
export class NodeHealthReporter {
  readonly gatewayId = `gw-${randomUUID()}`;
  readonly window: NodeHealthWindow;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: NodeHealthReporterDeps) {
    this.window = new NodeHealthWindow(deps.windowMs);
  }

  record(nodeId: string, ms: number, failed: boolean): void {
    this.window.record(nodeId, this.deps.clock.now(), ms, failed);
  }

  start(): void {
    this.timer = setInterval(() => this.publish(), this.deps.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  publish(): void {
    const nodes = this.window.summary(this.deps.clock.now());
    if (nodes.length === 0) return;
    const report: NodeHealthReport = { gateway: this.gatewayId, windowMs: this.deps.windowMs, nodes };
    try {
      this.deps.nc.publish(subjects(this.deps.namespace).nodeHealth, encode(report));
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not publish node health');
    }
  }
}
