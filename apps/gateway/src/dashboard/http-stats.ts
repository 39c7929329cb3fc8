/**
 * What the dashboard reads from the gateway's own `foresight_http_request_seconds` histogram:
 * session reads and writes (latency buckets), and counts of the requests it charts as rates.
 * Pure functions over prom-client's `metric.get()` values, so they are tested without a server.
 */

/** One value of a prom-client metric (`metric.get().values`). */
export interface MetricSample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number | undefined>>;
  readonly metricName?: string;
}

export type LatencyKind = 'read' | 'write';
export type CountKind = 'created' | 'ended' | 'refreshed' | 'refreshRefused' | 'issued' | 'serverErrors';

/** Session reads and writes by route (Fastify's route pattern, as the histogram labels it). */
const LATENCY_ROUTES: Readonly<Record<string, Readonly<Record<string, LatencyKind>>>> = {
  '/v1/sessions': { POST: 'write' },
  '/v1/sessions/:id': { GET: 'read', DELETE: 'write' },
  '/v1/sessions/:id/actions': { POST: 'write' },
  '/v1/sessions/:id/vars/:group/:name': { GET: 'read', PUT: 'write', PATCH: 'write', DELETE: 'write' },
};

/** Which latency a request counts towards, or undefined for anything that is not a session read or write. */
export function latencyKindOf(method: string, route: string): LatencyKind | undefined {
  return LATENCY_ROUTES[route]?.[method];
}

/** Which count a finished request adds to (undefined: none). */
export function countKindOf(method: string, route: string, status: number): CountKind | undefined {
  const ok = status >= 200 && status < 300;
  if (method === 'POST' && route === '/v1/sessions' && ok) return 'created';
  if (method === 'DELETE' && route === '/v1/sessions/:id' && ok) return 'ended';
  if (method === 'POST' && route === '/v1/tokens/refresh') return ok ? 'refreshed' : status >= 400 && status < 500 ? 'refreshRefused' : undefined;
  if (method === 'POST' && route === '/v1/sessions/:id/tokens' && ok) return 'issued';
  if (status >= 500) return 'serverErrors';
  return undefined;
}

/** Cumulative figures since the gateway started: bucket counts by upper bound (seconds), and counts. */
export interface HttpTotals {
  readonly buckets: Readonly<Record<LatencyKind, ReadonlyMap<number, number>>>;
  readonly counts: Readonly<Record<CountKind, number>>;
}

const COUNT_KINDS: readonly CountKind[] = ['created', 'ended', 'refreshed', 'refreshRefused', 'issued', 'serverErrors'];

function emptyCounts(): Record<CountKind, number> {
  return Object.fromEntries(COUNT_KINDS.map((k) => [k, 0])) as Record<CountKind, number>;
}

/** Sums the histogram's samples into the dashboard's figures (buckets of reads and writes, counts by kind). */
export function httpTotals(samples: readonly MetricSample[]): HttpTotals {
  const buckets: Record<LatencyKind, Map<number, number>> = { read: new Map(), write: new Map() };
  const counts = emptyCounts();
  for (const s of samples) {
    const method = String(s.labels.method ?? '');
    const route = String(s.labels.route ?? '');
    if (s.metricName?.endsWith('_bucket')) {
      const kind = latencyKindOf(method, route);
      if (!kind) continue;
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      buckets[kind].set(le, (buckets[kind].get(le) ?? 0) + s.value);
    } else if (s.metricName?.endsWith('_count')) {
      const kind = countKindOf(method, route, Number(s.labels.status));
      if (kind) counts[kind] += s.value;
    }
  }
  return { buckets, counts };
}

/** What happened between two readings; a figure that went down (a reset) counts from zero. */
export function httpDelta(now: HttpTotals, before: HttpTotals | undefined): HttpTotals {
  if (!before) return now;
  const minus = (a: number, b: number | undefined) => (b === undefined || a < b ? a : a - b);
  const buckets = (kind: LatencyKind) => new Map([...now.buckets[kind]].map(([le, n]) => [le, minus(n, before.buckets[kind].get(le))]));
  const counts = emptyCounts();
  for (const k of COUNT_KINDS) counts[k] = minus(now.counts[k], before.counts[k]);
  return { buckets: { read: buckets('read'), write: buckets('write') }, counts };
}

/**
 * The q-quantile (0..1) of cumulative histogram buckets, interpolated linearly inside the bucket as
 * Prometheus's `histogram_quantile` does; null without observations. Past the last finite bound it
 * answers that bound.
 */
export function histogramQuantile(buckets: ReadonlyMap<number, number>, q: number): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? (bounds.length ? buckets.get(bounds[bounds.length - 1]!)! : 0);
  if (!total) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const count = buckets.get(le)!;
    if (count >= rank) {
      if (le === Infinity) return lower;
      const inBucket = count - below;
      return inBucket > 0 ? lower + ((le - lower) * (rank - below)) / inBucket : le;
    }
    lower = le;
    below = count;
  }
  return lower;
}
