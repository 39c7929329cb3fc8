import type { PolicyResult } from './metrics';

/** The token-refresh targets, evaluated on measured results (null when a ratio is undefined). */
export interface TargetCheck {
  readonly foresightExpiredOrWaited: number;
  readonly zeroExpiredOrWaited: boolean;
  /** Total refreshes, Foresight over fixed skew 60 s (target ≤ 0.5). */
  readonly refreshRatioVsFixed60: number | null;
  readonly refreshesWithin50Percent: boolean | null;
  /** Sustained-window peak rate, Foresight over fixed skew 60 s (target ≤ 0.5). */
  readonly sustainedPeakRatioVsFixed60: number | null;
  readonly sustainedPeakWithin50Percent: boolean | null;
  /** Share of Foresight's refreshes minted after the session's last request (target ≤ 0.25; 0 when it made none). */
  readonly afterLastRequestShare: number;
  readonly afterLastWithin25Percent: boolean;
  /** 1-second burst ratio (reported). */
  readonly peakRatioVsFixed60: number | null;
  readonly refreshesPerHourRatioVsFixed60: number | null;
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

export function evaluateTargets(results: readonly PolicyResult[]): TargetCheck {
  const f = results.find((r) => r.policy === 'foresight');
  const base = results.find((r) => r.policy === 'fixed-skew-60s');
  if (!f || !base) throw new Error('need foresight and fixed-skew-60s results');
  const refreshes = ratio(f.refreshes, base.refreshes);
  const sustained = ratio(f.sustainedPeakRefreshesPerSecond, base.sustainedPeakRefreshesPerSecond);
  const afterLast = f.refreshes > 0 ? f.refreshesAfterLastRequest / f.refreshes : 0;
  return {
    foresightExpiredOrWaited: f.requestsExpiredOrWaited,
    zeroExpiredOrWaited: f.requestsExpiredOrWaited === 0,
    refreshRatioVsFixed60: refreshes,
    refreshesWithin50Percent: refreshes === null ? null : refreshes <= 0.5,
    sustainedPeakRatioVsFixed60: sustained,
    sustainedPeakWithin50Percent: sustained === null ? null : sustained <= 0.5,
    afterLastRequestShare: afterLast,
    afterLastWithin25Percent: afterLast <= 0.25,
    peakRatioVsFixed60: ratio(f.peakRefreshesPerSecond, base.peakRefreshesPerSecond),
    refreshesPerHourRatioVsFixed60: ratio(f.refreshesPerActiveSessionHour, base.refreshesPerActiveSessionHour),
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
    'of them pushed',
    'never presented',
    'peak/s (1 s)',
    `sustained/s (${peakWindowMs / 1000} s)`,
    'reuse revocations',
    'pulled fwd',
    'renewed on use',
    'longer tokens',
    'pushes needed/not',
    'let expire, came back',
  ];
  const rows = results.map((r) => [
    r.policy,
    String(r.requestsMetExpiredToken),
    String(r.requestsWaitedOnRefresh),
    String(r.refreshes),
    String(r.refreshCalls),
    r.refreshesPerActiveSessionHour.toFixed(1),
    String(r.refreshesAfterLastRequest),
    String(r.pushedAfterLastRequest),
    String(r.refreshesNeverPresented),
    String(r.peakRefreshesPerSecond),
    r.sustainedPeakRefreshesPerSecond.toFixed(3),
    String(r.familiesRevokedForReuse),
    String(r.refreshesPulledForward),
    String(r.refreshesRenewedOnUse),
    String(r.extendedAccessTokens),
    `${r.pushesNeeded}/${r.pushesNotNeeded}`,
    String(r.letExpireCameBack),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}
