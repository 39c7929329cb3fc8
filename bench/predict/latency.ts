/** Percentiles and mean of per-call timings, in microseconds. */
export interface LatencySummary {
  readonly calls: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

/** Cost of reading the clock twice, subtracted from every sample. */
function timerOverheadNs(samples = 20_000): number {
  const t = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const a = process.hrtime.bigint();
    t[i] = Number(process.hrtime.bigint() - a);
  }
  t.sort();
  return t[Math.floor(samples / 2)]!;
}

/** Times `calls` invocations of `fn(i)` one by one (after `warmup` untimed calls). */
export function measure(calls: number, fn: (i: number) => void, warmup = Math.min(10_000, calls)): LatencySummary {
  for (let i = 0; i < warmup; i++) fn(i);
  const overhead = timerOverheadNs();
  const ns = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const a = process.hrtime.bigint();
    fn(i);
    ns[i] = Math.max(0, Number(process.hrtime.bigint() - a) - overhead);
  }
  return summarise(ns);
}

/** Summary of nanosecond samples. */
export function summarise(ns: Float64Array): LatencySummary {
  const sorted = Float64Array.from(ns).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1000;
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length) / 1000;
  return {
    calls: sorted.length,
    meanUs: round(mean),
    p50Us: round(at(0.5)),
    p90Us: round(at(0.9)),
    p99Us: round(at(0.99)),
    maxUs: round((sorted[sorted.length - 1] ?? 0) / 1000),
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
