/** How the example origin answers a key: chosen by the longest matching rule prefix, else the defaults. */
export interface Behaviour {
  readonly latencyMs: number;
  readonly payloadBytes: number;
  /** Share of requests that fail (HTTP 500 / NATS error). */
  readonly failureRate: number;
  /** Answer every request with this HTTP status (and an error body) instead of the item. */
  readonly status?: number;
  /** Answer with bytes that are not JSON. */
  readonly garbage?: boolean;
}

/** A runtime override for keys starting with `prefix` (set with `PUT /admin/rules`). */
export interface Rule extends Partial<Behaviour> {
  readonly prefix: string;
}

/** The behaviour for `key`: the most specific (longest) matching rule over the defaults. */
export function behaviourFor(key: string, defaults: Behaviour, rules: readonly Rule[]): Behaviour {
  let best: Rule | undefined;
  for (const r of rules) if (key.startsWith(r.prefix) && (best === undefined || r.prefix.length > best.prefix.length)) best = r;
  if (best === undefined) return defaults;
  const { prefix: _prefix, ...overrides } = best;
  return { ...defaults, ...overrides };
}

/** Validates a rules body; returns the rules or a sentence saying what is wrong. */
export function parseRules(body: unknown): Rule[] | string {
  const list = (body as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list)) return 'Send {"rules": [{"prefix": "slow:", "latencyMs": 3000}, ...]}.';
  const out: Rule[] = [];
  for (const r of list as Record<string, unknown>[]) {
    if (typeof r !== 'object' || r === null || typeof r.prefix !== 'string') return 'Every rule needs a string "prefix".';
    const num = (k: string, max: number) => r[k] === undefined || (typeof r[k] === 'number' && (r[k] as number) >= 0 && (r[k] as number) <= max);
    if (!num('latencyMs', 600_000) || !num('payloadBytes', 64 << 20) || !num('failureRate', 1) || !num('status', 599))
      return `Rule "${r.prefix}" has a number out of range.`;
    if (r.garbage !== undefined && typeof r.garbage !== 'boolean') return `Rule "${r.prefix}": "garbage" must be true or false.`;
    out.push(r as unknown as Rule);
  }
  return out;
}

/** The JSON item served for `key`: about `payloadBytes` bytes (padding fills it up). */
export function item(key: string, version: number, payloadBytes: number, now: number): string {
  const head = { key, version, servedAt: new Date(now).toISOString(), padding: '' };
  const base = JSON.stringify(head).length;
  return JSON.stringify({ ...head, padding: 'x'.repeat(Math.max(0, payloadBytes - base)) });
}
