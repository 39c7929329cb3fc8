import type { ReplayResult } from './replay';

/** One row of the report. */
export interface Row {
  readonly concurrency: number;
  readonly capacityPercent: number;
  readonly capacityEntries: number;
  readonly policy: string;
  readonly result: ReplayResult;
  readonly seconds: number;
}

/** Derived ratios of a row (per measured request). */
export function ratios(r: ReplayResult) {
  const n = Math.max(1, r.requests);
  return {
    hitRatio: r.hits / n,
    lateRatio: r.joined / n,
    fetchesPerRequest: (r.demandFetches + r.prefetchFetches) / n,
    prefetchesPerRequest: r.prefetchFetches / n,
    wastedPerRequest: Math.max(0, r.prefetchFetches - r.prefetchUsed) / n,
    prefetchAccuracy: r.prefetchFetches === 0 ? null : r.prefetchUsed / r.prefetchFetches,
  };
}

/** Fixed-width text table. */
export function renderTable(rows: readonly Row[]): string {
  const head = ['conc', 'cap %', 'entries', 'policy', 'hit ratio', 'late', 'fetch/req', 'prefetch/req', 'wasted/req', 'p50 ms', 'p99 ms', 'mean ms'];
  const body = rows.map((row) => {
    const x = ratios(row.result);
    return [
      String(row.concurrency),
      String(row.capacityPercent),
      String(row.capacityEntries),
      row.policy,
      x.hitRatio.toFixed(3),
      x.lateRatio.toFixed(4),
      x.fetchesPerRequest.toFixed(3),
      x.prefetchesPerRequest.toFixed(3),
      x.wastedPerRequest.toFixed(3),
      row.result.latencyP50.toFixed(1),
      row.result.latencyP99.toFixed(1),
      row.result.meanLatency.toFixed(2),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
