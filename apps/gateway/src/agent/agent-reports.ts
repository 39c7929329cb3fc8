import { ErrorCodes, ForesightError, type AgentReportBody } from '@foresight/contracts';
import type { Clock } from '@foresight/time';
import { Counter, Gauge, type Registry } from 'prom-client';
import { RateLimiter } from '../tokens/rate-limiter';

/** A stored report: the client's latest, with when it arrived. */
export interface StoredReport {
  readonly report: AgentReportBody;
  readonly receivedAt: number;
}

export interface AgentReportsOptions {
  /** How often clients should report (they are told in every reply). */
  readonly intervalMs: number;
  /** A client not heard from for this long is dropped (and leaves the metrics). */
  readonly retainMs: number;
  /** Most clients kept; the least recently heard from is dropped first. */
  readonly maxClients: number;
  /** Most distinct gateway labels in the metrics; reports about others are summed under "other". */
  readonly maxGatewayLabels: number;
  /** Reports per second per client id, and the burst. */
  readonly perClientPerSecond: number;
  readonly clientBurst: number;
  /** Reports per second per caller address, and the burst (bounds clients that invent ids). */
  readonly perIpPerSecond: number;
  readonly ipBurst: number;
}

export const DEFAULT_AGENT_REPORTS: AgentReportsOptions = {
  intervalMs: 30_000,
  retainMs: 5 * 60_000,
  maxClients: 10_000,
  maxGatewayLabels: 32,
  perClientPerSecond: 1,
  clientBurst: 5,
  perIpPerSecond: 50,
  ipBurst: 200,
};

export interface AgentReportsDeps {
  readonly clock: Clock;
  readonly metrics: Registry;
  readonly options?: Partial<AgentReportsOptions>;
  /** Called with every accepted report (the edge forwards it to the affinity service). */
  readonly onAccepted?: (report: AgentReportBody) => void;
}

/** Aggregates of one gateway across the clients' latest reports. */
export interface GatewayAggregate {
  readonly clients: number;
  readonly requests: number;
  readonly errors: number;
  readonly throughputRps: number;
  /** Means of the clients' figures, weighted by their requests. */
  readonly rttMs: { readonly mean: number; readonly p50: number; readonly p99: number };
}

/**
 * The measurements client agents send (round-trip time, error rate and throughput per gateway),
 * kept in memory per gateway instance: the latest report of each client, for a bounded time and
 * number of clients. They are exposed as Prometheus gauges (aggregated per gateway, never per client,
 * so the label set stays small) and listed for the affinity service.
 */
export class AgentReports {
  readonly options: AgentReportsOptions;
  private readonly clock: Clock;
  private readonly byClient = new Map<string, StoredReport>();
  private readonly clientLimits: RateLimiter;
  private readonly ipLimits: RateLimiter;
  private readonly received: Counter<string>;
  private readonly onAccepted: ((report: AgentReportBody) => void) | undefined;

  constructor(deps: AgentReportsDeps) {
    this.options = { ...DEFAULT_AGENT_REPORTS, ...deps.options };
    this.clock = deps.clock;
    this.onAccepted = deps.onAccepted;
    this.clientLimits = new RateLimiter(this.options.perClientPerSecond, this.options.clientBurst, this.options.maxClients);
    this.ipLimits = new RateLimiter(this.options.perIpPerSecond, this.options.ipBurst);
    this.received = new Counter({
      name: 'foresight_agent_reports_total',
      help: 'Client agent reports received, by outcome',
      labelNames: ['outcome'],
      registers: [deps.metrics],
    });
    this.registerGauges(deps.metrics);
  }

  /** Stores a client's report; 429 `REQUEST.RATE_LIMITED` when the client or its address reports too often. */
  accept(report: AgentReportBody, ip: string): { accepted: true; nextReportInMs: number } {
    const now = this.clock.now();
    for (const take of [this.ipLimits.take(ip, now), this.clientLimits.take(report.clientId, now)]) {
      if (!take.ok) {
        this.received.inc({ outcome: 'rate_limited' });
        throw new ForesightError(ErrorCodes.RATE_LIMITED, 'Too many agent reports; send one per reporting interval.', { retryAfterMs: take.retryAfterMs });
      }
    }
    this.byClient.delete(report.clientId);
    this.byClient.set(report.clientId, { report, receivedAt: now });
    while (this.byClient.size > this.options.maxClients) this.byClient.delete(this.byClient.keys().next().value!);
    this.received.inc({ outcome: 'accepted' });
    this.onAccepted?.(report);
    return { accepted: true, nextReportInMs: this.options.intervalMs };
  }

  /** The latest report of every client heard from within `retainMs`, newest first. */
  list(): StoredReport[] {
    this.prune();
    return [...this.byClient.values()].reverse();
  }

  /** Per-gateway aggregates over the live reports; gateways past `maxGatewayLabels` are summed as "other". */
  aggregate(): Map<string, GatewayAggregate> {
    this.prune();
    const sums = new Map<string, { clients: number; requests: number; errors: number; rps: number; weight: number; mean: number; p50: number; p99: number }>();
    for (const { report } of this.byClient.values()) {
      for (const g of report.gateways) {
        const label = sums.has(g.gateway) || sums.size < this.options.maxGatewayLabels ? g.gateway : 'other';
        const s = sums.get(label) ?? { clients: 0, requests: 0, errors: 0, rps: 0, weight: 0, mean: 0, p50: 0, p99: 0 };
        const answered = Math.max(0, g.requests - g.errors);
        s.clients += 1;
        s.requests += g.requests;
        s.errors += g.errors;
        s.rps += g.throughputRps;
        s.weight += answered;
        s.mean += g.rttMs.mean * answered;
        s.p50 += g.rttMs.p50 * answered;
        s.p99 += g.rttMs.p99 * answered;
        sums.set(label, s);
      }
    }
    const out = new Map<string, GatewayAggregate>();
    for (const [gateway, s] of sums) {
      const w = s.weight || 1;
      out.set(gateway, {
        clients: s.clients,
        requests: s.requests,
        errors: s.errors,
        throughputRps: s.rps,
        rttMs: { mean: s.mean / w, p50: s.p50 / w, p99: s.p99 / w },
      });
    }
    return out;
  }

  /** Drops reports older than `retainMs` and rate-limit buckets that carry no state. */
  prune(): void {
    const now = this.clock.now();
    for (const [id, stored] of this.byClient) {
      if (now - stored.receivedAt <= this.options.retainMs) break; // insertion order = arrival order
      this.byClient.delete(id);
    }
    this.clientLimits.prune(now);
    this.ipLimits.prune(now);
  }

  get size(): number {
    return this.byClient.size;
  }

  private registerGauges(registry: Registry): void {
    // collect() runs with the gauge as `this`: the reports are reached through this closure.
    const aggregate = () => this.aggregate();
    const gaugeOf = (name: string, help: string, labelNames: string[], fill: (g: Gauge<string>, aggregates: Map<string, GatewayAggregate>) => void) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          fill(this, aggregate());
        },
      });
    gaugeOf('foresight_agent_clients', 'Client agents whose latest report is retained', [], (g) => g.set(this.size));
    gaugeOf(
      'foresight_agent_gateway_rtt_seconds',
      'Round-trip time to a gateway as client agents measure it (request-weighted mean of their figures)',
      ['gateway', 'stat'],
      (g, all) => {
        for (const [gateway, a] of all) for (const stat of ['mean', 'p50', 'p99'] as const) g.set({ gateway, stat }, a.rttMs[stat] / 1000);
      },
    );
    gaugeOf('foresight_agent_gateway_error_ratio', 'Share of client attempts to a gateway that failed (connection, timeout, 5xx)', ['gateway'], (g, all) => {
      for (const [gateway, a] of all) g.set({ gateway }, a.requests > 0 ? a.errors / a.requests : 0);
    });
    gaugeOf('foresight_agent_gateway_throughput_rps', 'Attempts per second client agents send to a gateway (sum over clients)', ['gateway'], (g, all) => {
      for (const [gateway, a] of all) g.set({ gateway }, a.throughputRps);
    });
  }
}
