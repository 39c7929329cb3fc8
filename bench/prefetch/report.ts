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

/**
 * Origin fetches of `row` as a multiple of LRU's at the same concurrency and capacity (the budget
 * actually consumed), or null without an LRU row.
 */
export function fetchesVsLru(rows: readonly Row[], row: Row): number | null {
  const lru = rows.find((r) => r.policy === 'lru' && r.concurrency === row.concurrency && r.capacityPercent === row.capacityPercent);
  if (lru === undefined) return null;
  const f = (r: ReplayResult) => r.demandFetches + r.prefetchFetches;
  return f(lru.result) === 0 ? null : f(row.result) / f(lru.result);
}

/** Fixed-width text table; `× LRU` is the fetches' multiple of LRU's, `× est` of the node's own demand-only estimate. */
export function renderTable(rows: readonly Row[]): string {
  const head = [
    'conc',
    'cap %',
    'entries',
    'policy',
    'hit ratio',
    'late',
    'fetch/req',
    '× LRU',
    '× est',
    'prefetch/req',
    'wasted/req',
    'p50 ms',
    'p99 ms',
    'mean ms',
  ];
  const body = rows.map((row) => {
    const x = ratios(row.result);
    const vsLru = fetchesVsLru(rows, row);
    const b = row.result.budget;
    return [
      String(row.concurrency),
      String(row.capacityPercent),
      String(row.capacityEntries),
      row.policy,
      x.hitRatio.toFixed(3),
      x.lateRatio.toFixed(4),
      x.fetchesPerRequest.toFixed(3),
      vsLru === null ? '-' : vsLru.toFixed(2),
      b === undefined || b.baselineFetches === 0 ? '-' : ((row.result.demandFetches + row.result.prefetchFetches) / b.baselineFetches).toFixed(2),
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
