/**
 * The pure parts of `npm run bench:scale`: sessions derived from an item-view trace (group values
 * of realistic sizes), their skewed popularity, the request mix, and the latency summaries.
 */

/** One trace session: the item ids viewed, in order. */
export type TraceSession = readonly number[];

/** Parses an item-view trace (one session per line, space-separated item ids); skips empty or bad lines. */
export function parseTrace(text: string, limit = Number.POSITIVE_INFINITY): TraceSession[] {
  const out: TraceSession[] = [];
  for (const line of text.split('\n')) {
    if (out.length >= limit) break;
    const ids = line.trim().split(/\s+/).filter(Boolean).map(Number);
    if (ids.length > 0 && ids.every((n) => Number.isSafeInteger(n) && n >= 0)) out.push(ids);
  }
  return out;
}

/** What a benchmark session holds, by group, and how often it is used. */
export interface SessionSeed {
  /** `data` of `POST /v1/sessions`. */
  readonly data: Record<string, Record<string, unknown>>;
  /** Relative popularity (requests per unit of time): the trace session's length, heavy-tailed. */
  readonly weight: number;
  /** Items of the trace session, for the writes. */
  readonly items: TraceSession;
}

const pad = (n: number, seed: number) => 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(n / 36) + 1).slice(seed % 36, (seed % 36) + n);

/**
 * A session from a trace session: `auth` (a token: small, read on every request), `profile` (small,
 * written with the last item viewed), `settings` (small, rarely read), `cart` (the distinct items
 * kept, ~120 bytes each), `app` (the view history as product snapshots, ~400 bytes per view: large,
 * rarely read). Popularity is the number of views.
 */
export function seedFrom(trace: TraceSession, index: number): SessionSeed {
  const distinct = [...new Set(trace)];
  const cart = distinct.filter((_, i) => i % 3 === 0).map((item) => ({ item, qty: 1 + (item % 3), title: pad(90, item) }));
  const history = trace.map((item, i) => ({ item, at: 1_700_000_000_000 + i * 37_000, snapshot: pad(360, item + i) }));
  return {
    data: {
      auth: { token: pad(120, index), roles: ['user'] },
      profile: { last: trace.at(-1) ?? 0, name: `user-${index}`, locale: 'en-GB' },
      settings: { theme: index % 2 === 0 ? 'dark' : 'light', pageSize: 20 + (index % 4) * 10 },
      cart: { items: cart },
      app: { history },
    },
    weight: trace.length,
    items: trace,
  };
}

/** JSON bytes of a seed's groups (what a full copy of the session moves). */
export function seedBytes(seed: SessionSeed): number {
  return Buffer.byteLength(JSON.stringify(seed.data));
}

/** One request of the mix. */
export interface Request {
  readonly method: 'GET' | 'PUT';
  readonly group: string;
  readonly name: string;
}

/**
 * The request mix of one use of a session: mostly the token and small reads, a write of the last
 * item viewed, rarely the cart, the settings or the history (the large group).
 */
export const MIX: readonly (Request & { readonly share: number })[] = [
  { method: 'GET', group: 'auth', name: 'token', share: 0.55 },
  { method: 'GET', group: 'profile', name: 'last', share: 0.15 },
  { method: 'PUT', group: 'profile', name: 'last', share: 0.2 },
  { method: 'GET', group: 'cart', name: 'items', share: 0.06 },
  { method: 'GET', group: 'settings', name: 'theme', share: 0.03 },
  { method: 'GET', group: 'app', name: 'history', share: 0.01 },
];

/** The request for a uniform draw `u` in [0, 1). */
export function pickRequest(u: number, mix: readonly (Request & { readonly share: number })[] = MIX): Request {
  let acc = 0;
  for (const r of mix) {
    acc += r.share;
    if (u < acc) return r;
  }
  return mix.at(-1)!;
}

/** Cumulative weights of `weights`, for {@link pickWeighted}. */
export function cumulative(weights: readonly number[]): number[] {
  let acc = 0;
  return weights.map((w) => (acc += Math.max(0, w)));
}

/** The index drawn for a uniform `u` in [0, 1) from cumulative weights (binary search). */
export function pickWeighted(cum: readonly number[], u: number): number {
  const target = u * (cum.at(-1) ?? 0);
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The q-quantile (0..1) of `values` by the nearest-rank method (undefined if empty). */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** A timed request as the client saw it. */
export interface Sample {
  readonly at: number;
  readonly ms: number;
  readonly ok: boolean;
}

/** p50/p99 and count of the successful samples that ended in [from, to). */
export function windowStats(samples: readonly Sample[], from: number, to: number): { n: number; p50: number | undefined; p99: number | undefined } {
  const ms = samples.filter((s) => s.ok && s.at >= from && s.at < to).map((s) => s.ms);
  return { n: ms.length, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99) };
}

/**
 * The q-quantile of a Prometheus histogram from its cumulative buckets (`le` → count), as the upper
 * bound of the bucket it falls in (undefined with no observations; Infinity past the last bound).
 */
export function histogramQuantile(buckets: ReadonlyMap<number, number>, q: number): number | undefined {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Number.POSITIVE_INFINITY) ?? (bounds.length > 0 ? buckets.get(bounds.at(-1)!)! : 0);
  if (total === 0) return undefined;
  for (const le of bounds) if (buckets.get(le)! >= q * total) return le;
  return Number.POSITIVE_INFINITY;
}

/** Cumulative buckets of histogram `name` (optionally only series whose labels include `label`) summed over exposition texts. */
export function histogramBuckets(texts: readonly string[], name: string, label = ''): Map<number, number> {
  const out = new Map<number, number>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}_bucket{`) || (label && !line.includes(label))) continue;
      const le = /le="([^"]+)"/.exec(line)?.[1];
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (le === undefined || !Number.isFinite(value)) continue;
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      out.set(bound, (out.get(bound) ?? 0) + value);
    }
  }
  return out;
}

/** The difference of two bucket maps (after − before). */
export function bucketDelta(after: ReadonlyMap<number, number>, before: ReadonlyMap<number, number>): Map<number, number> {
  return new Map([...after].map(([le, n]) => [le, n - (before.get(le) ?? 0)]));
}
