import type { AgentReportBody } from '@foresight/contracts';

/**
 * What agents report of each edge, folded per edge and client zone: RTT (exponentially weighted by
 * requests) and error rate. Kept in memory by each affinity instance; it rebuilds from the next
 * reports after a restart.
 */
export class EdgeStats {
  private readonly rtt = new Map<string, Map<string, number>>();
  private readonly errors = new Map<string, number>();

  constructor(private readonly alpha = 0.1) {}

  /** Folds one report; `urlToEdge` names the edge of each gateway URL the report mentions. */
  fold(report: AgentReportBody, zone: string | undefined, urlToEdge: ReadonlyMap<string, string>): void {
    for (const g of report.gateways) {
      const edgeId = urlToEdge.get(normaliseUrl(g.gateway));
      if (edgeId === undefined || g.requests <= 0) continue;
      const answered = g.requests - g.errors;
      if (answered > 0 && zone !== undefined) {
        const byZone = this.rtt.get(edgeId) ?? new Map<string, number>();
        const prev = byZone.get(zone);
        const a = Math.min(1, this.alpha * Math.sqrt(answered));
        byZone.set(zone, prev === undefined ? g.rttMs.mean : (1 - a) * prev + a * g.rttMs.mean);
        this.rtt.set(edgeId, byZone);
      }
      const prevErr = this.errors.get(edgeId) ?? 0;
      this.errors.set(edgeId, (1 - this.alpha) * prevErr + this.alpha * (g.errors / g.requests));
    }
  }

  rttByZone(edgeId: string): Record<string, number> {
    return Object.fromEntries(this.rtt.get(edgeId) ?? []);
  }

  errorRate(edgeId: string): number {
    return this.errors.get(edgeId) ?? 0;
  }
}

/** A gateway URL as reports and the registry compare them: no trailing slash. */
export function normaliseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
