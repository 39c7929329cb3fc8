import type { PolicyResult } from './simulate';

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** One table for every trace and policy, with the predictive policy's ratios to the rules. */
export function renderTable(rows: readonly { trace: string; result: PolicyResult }[]): string {
  const head = [
    'trace',
    'policy',
    'sessions',
    'requests',
    'first-edge',
    'added mean ms',
    'added p50 ms',
    'added p99 ms',
    'cold',
    'reroute mean s',
    'reroute max s',
    'failed att.',
    'dead att.',
    'moves/h',
  ];
  const widths = [8, 16, 9, 9, 11, 14, 13, 13, 7, 15, 14, 12, 10, 10];
  const lines = [head.map((h, i) => (i < 2 ? pad(h, widths[i]!) : lpad(h, widths[i]!))).join(' ')];
  for (const { trace, result: r } of rows) {
    const cells = [
      trace,
      r.policy,
      String(r.sessions),
      String(r.requests),
      `${(100 * r.firstEdgeShare).toFixed(1)} %`,
      r.addedLatencyMs.mean.toFixed(1),
      r.addedLatencyMs.p50.toFixed(1),
      r.addedLatencyMs.p99.toFixed(1),
      `${(100 * r.coldShare).toFixed(1)} %`,
      (r.rerouteMs.mean / 1000).toFixed(1),
      (r.rerouteMs.max / 1000).toFixed(1),
      String(r.failedAttempts),
      String(r.deadAttempts),
      r.movesPerHour.toFixed(1),
    ];
    lines.push(cells.map((c, i) => (i < 2 ? pad(c, widths[i]!) : lpad(c, widths[i]!))).join(' '));
  }
  return lines.join('\n');
}

/** The predictive policy against the rules on each trace, as ratios; it beats them when it adds less latency on average and no more at p99. */
export function predictiveVsRules(rows: readonly { trace: string; result: PolicyResult }[]): Record<string, Record<string, number | boolean>> {
  const out: Record<string, Record<string, number | boolean>> = {};
  for (const trace of new Set(rows.map((r) => r.trace))) {
    const rules = rows.find((r) => r.trace === trace && r.result.policy === 'rules')?.result;
    const pred = rows.find((r) => r.trace === trace && r.result.policy === 'predictive')?.result;
    if (!rules || !pred) continue;
    const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : Infinity) : a / b);
    out[trace] = {
      firstEdgeShareRatio: ratio(pred.firstEdgeShare, rules.firstEdgeShare),
      addedP50Ratio: ratio(pred.addedLatencyMs.p50, rules.addedLatencyMs.p50),
      addedP99Ratio: ratio(pred.addedLatencyMs.p99, rules.addedLatencyMs.p99),
      addedMeanRatio: ratio(pred.addedLatencyMs.mean, rules.addedLatencyMs.mean),
      movesRatio: ratio(pred.movesPerHour, rules.movesPerHour),
      beatsRules: pred.addedLatencyMs.mean < rules.addedLatencyMs.mean && pred.addedLatencyMs.p99 <= rules.addedLatencyMs.p99,
    };
  }
  return out;
}
