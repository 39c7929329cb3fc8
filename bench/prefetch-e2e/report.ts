/** One measured read through the gateway. */
export interface Sample {
  readonly ms: number;
  readonly source: 'cache' | 'prefetched' | 'inflight' | 'origin' | 'error';
}

/** What a phase measured. */
export interface PhaseResult {
  readonly phase: string;
  readonly policy: string;
  readonly prefetch: boolean;
  readonly requests: number;
  readonly errors: number;
  /** Share of reads that waited on the origin (loaded on demand, or joined a load in flight). */
  readonly waitedShare: number;
  /** Share that joined a load in flight (part of waitedShare). */
  readonly inflightShare: number;
  /** Share served from the cache thanks to a prefetch (first read of a prefetched value). */
  readonly prefetchedShare: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly originFetchesPerRequest: number;
  readonly seconds: number;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function summarize(phase: string, policy: string, prefetch: boolean, samples: readonly Sample[], originFetches: number, seconds: number): PhaseResult {
  const n = samples.length;
  const count = (f: (s: Sample) => boolean) => samples.filter(f).length;
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  return {
    phase,
    policy,
    prefetch,
    requests: n,
    errors: count((s) => s.source === 'error'),
    waitedShare: count((s) => s.source === 'origin' || s.source === 'inflight') / n,
    inflightShare: count((s) => s.source === 'inflight') / n,
    prefetchedShare: count((s) => s.source === 'prefetched') / n,
    p50Ms: quantile(ms, 0.5),
    p99Ms: quantile(ms, 0.99),
    meanMs: ms.reduce((a, b) => a + b, 0) / n,
    originFetchesPerRequest: originFetches / n,
    seconds,
  };
}

export function renderTable(rows: readonly PhaseResult[]): string {
  const head = [
    'phase',
    'policy',
    'requests',
    'waited on origin',
    'of which in flight',
    'prefetched hits',
    'p50 ms',
    'p99 ms',
    'mean ms',
    'origin fetch/req',
    'errors',
  ];
  const body = rows.map((r) => [
    r.phase,
    r.policy,
    String(r.requests),
    r.waitedShare.toFixed(3),
    r.inflightShare.toFixed(3),
    r.prefetchedShare.toFixed(3),
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    r.meanMs.toFixed(1),
    r.originFetchesPerRequest.toFixed(3),
    String(r.errors),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
