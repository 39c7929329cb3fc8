import type { PolicyResult } from './metrics';

/** The token-refresh targets, evaluated on measured results (null when a ratio is undefined). */
export interface TargetCheck {
  readonly foresightExpiredOrWaited: number;
  readonly zeroExpiredOrWaited: boolean;
  readonly peakRatioVsFixed60: number | null;
  readonly peakWithin50Percent: boolean | null;
  /** Same ratio on the sustained window (reported, not the target's measure). */
  readonly sustainedPeakRatioVsFixed60: number | null;
  readonly refreshesPerHourRatioVsFixed60: number | null;
  readonly refreshesWithin110Percent: boolean | null;
}

export function evaluateTargets(results: readonly PolicyResult[]): TargetCheck {
  const f = results.find((r) => r.policy === 'foresight');
  const base = results.find((r) => r.policy === 'fixed-skew-60s');
  if (!f || !base) throw new Error('need foresight and fixed-skew-60s results');
  const peakRatio = base.peakRefreshesPerSecond > 0 ? f.peakRefreshesPerSecond / base.peakRefreshesPerSecond : null;
  const sustained = base.sustainedPeakRefreshesPerSecond > 0 ? f.sustainedPeakRefreshesPerSecond / base.sustainedPeakRefreshesPerSecond : null;
  const rateRatio = base.refreshesPerActiveSessionHour > 0 ? f.refreshesPerActiveSessionHour / base.refreshesPerActiveSessionHour : null;
  const bad = f.requestsExpiredOrWaited;
  return {
    foresightExpiredOrWaited: bad,
    zeroExpiredOrWaited: bad === 0,
    peakRatioVsFixed60: peakRatio,
    peakWithin50Percent: peakRatio === null ? null : peakRatio <= 0.5,
    sustainedPeakRatioVsFixed60: sustained,
    refreshesPerHourRatioVsFixed60: rateRatio,
    refreshesWithin110Percent: rateRatio === null ? null : rateRatio <= 1.1,
  };
}

/** A fixed-width text table of the per-policy results. */
export function renderTable(results: readonly PolicyResult[], peakWindowMs: number): string {
  const head = [
    'policy',
    'met expired',
    'waited',
    'refreshes',
    'calls',
    'per act. sess-h',
    'after last req',
    'peak/s (1 s)',
    `sustained/s (${peakWindowMs / 1000} s)`,
    'reuse revocations',
    'pulled fwd',
  ];
  const rows = results.map((r) => [
    r.policy,
    String(r.requestsMetExpiredToken),
    String(r.requestsWaitedOnRefresh),
    String(r.refreshes),
    String(r.refreshCalls),
    r.refreshesPerActiveSessionHour.toFixed(1),
    String(r.refreshesAfterLastRequest),
    String(r.peakRefreshesPerSecond),
    r.sustainedPeakRefreshesPerSecond.toFixed(3),
    String(r.familiesRevokedForReuse),
    String(r.refreshesPulledForward),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}
