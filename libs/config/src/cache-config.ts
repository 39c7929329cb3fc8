import { readFileSync } from 'node:fs';
import type { EnvReader } from './env-reader';

/** One data source of the predictive cache registered by key pattern. */
export interface OriginSpec {
  /** Name in metrics, logs and errors. */
  readonly id: string;
  /**
   * Keys it serves: literal characters, `*` (one or more characters) and `{name}` captures (one or
   * more characters without `:` or `/`), e.g. `product:{id}`, `reviews:*`. The most specific wins.
   */
  readonly pattern: string;
  readonly kind: 'http' | 'nats';
  /** HTTP: URL template; `{key}` is the whole key, `{name}` a capture, `{1}`… captures by position (URL-encoded). */
  readonly url?: string;
  /** NATS: request/reply subject; the request is `{ key }` (MessagePack), the reply `{ value }` or `{ error }`. */
  readonly subject?: string;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  /** Retries of a demand load (timeouts, 5xx, connection errors). */
  readonly retries: number;
  readonly prefetchRetries: number;
  readonly maxPrefetchConcurrency: number;
  /** Time to live of cached values of this origin; null = until evicted or invalidated. */
  readonly ttlMs: number | null;
  /** Consecutive failures that open the circuit, and how long it stays open first. */
  readonly breaker: { readonly failureThreshold: number; readonly openMs: number };
}

/** Predictive cache of the shard nodes. */
export interface CacheConfig {
  readonly policy: 'lru' | 'lfu' | 'foresight';
  /** Memory budget of the cached values (bytes of their JSON encoding). */
  readonly budgetBytes: number;
  /** Prefetch at all (off = a plain cache with the chosen eviction policy, for comparison). */
  readonly prefetch: boolean;
  /**
   * Origin fetches a node may make, as a multiple of what a demand-only LRU cache of the same size
   * would fetch on the same reads (estimated by the node); prefetching adapts to stay within it.
   */
  readonly fetchBudget: number;
  /** On `record_action`, start loading the keys the action itself needs (its declared/learned requirements). */
  readonly warmCurrentAction: boolean;
  /** Largest value accepted from an origin; larger ones are `ORIGIN.BAD_RESPONSE`. */
  readonly maxValueBytes: number;
  readonly origins: readonly OriginSpec[];
  /** Requirements declared by configuration; those stored through REST (Postgres) are added to them. */
  readonly requirements: readonly { readonly pattern: string; readonly keys: readonly string[] }[];
  readonly learned: { readonly minSupport: number; readonly minConfidence: number };
  /** How often a node asks the prediction service for a newer model besides the model-updated events. */
  readonly modelPollMs: number;
  /** A session not seen for this long stops protecting its predicted keys (and stops taking a share of the prefetch budget). */
  readonly liveSessionMs: number;
  /** How long a key its origin does not have is remembered (reads answered 404 at once, no prefetch); 0 = off. */
  readonly notFoundTtlMs: number;
  /** How often a node saves the requirements it learned to Postgres (and at shutdown); 0 = never. */
  readonly learnedSaveMs: number;
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const PATTERN = /^[\x21-\x7e]{1,512}$/;
const SUBJECT = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;

/** Capture names of an origin pattern: `{name}` in order, `*` as its position (`1`, `2`, …). */
export function originCaptures(pattern: string): string[] {
  const names: string[] = [];
  for (const m of pattern.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}|\*/g)) names.push(m[1] ?? String(names.length + 1));
  return names;
}

type Raw = Record<string, unknown>;

function int(o: Raw, key: string, fallback: number, min: number, max: number, where: string, problems: string[]): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    problems.push(`${where}.${key} must be an integer between ${min} and ${max}`);
    return fallback;
  }
  return v;
}

/**
 * Parses the origins list (a JSON array, see {@link OriginSpec}); every problem is pushed to
 * `problems` with its position, nothing throws. `requestTimeoutMs` bounds a demand load with its
 * retries, so the gateway hears an `ORIGIN.*` error instead of a NATS timeout.
 */
export function parseOrigins(json: string, source: string, requestTimeoutMs: number, problems: string[]): OriginSpec[] {
  const raw = jsonArray(json, source, 'origins', problems);
  const out: OriginSpec[] = [];
  const ids = new Set<string>();
  raw.forEach((item: unknown, i) => {
    const where = `${source}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push(`${where} must be an object`);
      return;
    }
    const o = item as Raw;
    const before = problems.length;
    const id = typeof o.id === 'string' && ID.test(o.id) ? o.id : (problems.push(`${where}.id must be 1-64 characters from letters, digits, _ . -`), '');
    if (ids.has(id)) problems.push(`${where}.id "${id}" is used twice`);
    ids.add(id);
    const pattern =
      typeof o.pattern === 'string' && PATTERN.test(o.pattern) && !o.pattern.includes('**')
        ? o.pattern
        : (problems.push(`${where}.pattern must be 1-512 visible ASCII characters (e.g. "product:{id}" or "product:*")`), '');
    const kind = o.kind ?? o.type;
    if (kind !== 'http' && kind !== 'nats') problems.push(`${where}.kind must be "http" or "nats"`);
    let url: string | undefined;
    let subject: string | undefined;
    if (kind === 'http') {
      url =
        typeof o.url === 'string' && /^https?:\/\/[^\s]+$/.test(o.url)
          ? o.url
          : (problems.push(`${where}.url must be an http(s) URL template such as "http://catalog:8080/items/{key}"`), undefined);
      const captures = new Set(['key', ...originCaptures(pattern)]);
      for (const m of (url ?? '').matchAll(/\{([^}]*)\}/g)) {
        if (!captures.has(m[1]!))
          problems.push(`${where}.url uses {${m[1]}}, which is neither {key} nor a capture of the pattern (${[...captures].map((c) => `{${c}}`).join(', ')})`);
      }
    } else if (kind === 'nats') {
      subject =
        typeof o.subject === 'string' && SUBJECT.test(o.subject)
          ? o.subject
          : (problems.push(`${where}.subject must be a NATS subject without wildcards`), undefined);
    }
    const timeoutMs = int(o, 'timeoutMs', 500, 1, 60_000, where, problems);
    const retries = int(o, 'retries', 1, 0, 10, where, problems);
    const ttl = o.ttlMs === undefined || o.ttlMs === null ? null : int(o, 'ttlMs', 0, 1, 365 * 86_400_000, where, problems);
    const breakerRaw = (typeof o.breaker === 'object' && o.breaker !== null ? o.breaker : {}) as Raw;
    const spec: OriginSpec = {
      id,
      pattern,
      kind: kind === 'nats' ? 'nats' : 'http',
      url,
      subject,
      timeoutMs,
      retries,
      prefetchRetries: int(o, 'prefetchRetries', 0, 0, 10, where, problems),
      maxPrefetchConcurrency: int(o, 'maxPrefetchConcurrency', 8, 0, 1024, where, problems),
      ttlMs: ttl,
      breaker: {
        failureThreshold: int(breakerRaw, 'failureThreshold', 5, 1, 1000, `${where}.breaker`, problems),
        openMs: int(breakerRaw, 'openMs', 5000, 10, 3_600_000, `${where}.breaker`, problems),
      },
    };
    // Worst case of a demand load: every attempt times out, plus the back-off between attempts (≤ 200 ms each).
    const worst = timeoutMs * (retries + 1) + 200 * retries;
    if (worst >= requestTimeoutMs) {
      problems.push(`${where}: timeoutMs × (retries + 1) + back-off (${worst} ms) must stay below NATS_REQUEST_TIMEOUT_MS (${requestTimeoutMs} ms)`);
    }
    if (problems.length === before) out.push(spec);
  });
  return out;
}

/** `json` as an array, or an empty one with the problem recorded (`of`: what the items should be). */
function jsonArray(json: string, source: string, of: string, problems: string[]): unknown[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    problems.push(`${source} is not valid JSON`);
    return [];
  }
  if (!Array.isArray(raw)) {
    problems.push(`${source} must be a JSON array of ${of}`);
    return [];
  }
  return raw;
}

/** Parses declared requirements: a JSON array of `{ "pattern": "view_product:{id}", "keys": ["product:{id}"] }`. */
export function parseRequirements(json: string, source: string, problems: string[]): { pattern: string; keys: string[] }[] {
  const raw = jsonArray(json, source, '{"pattern", "keys"}', problems);
  const out: { pattern: string; keys: string[] }[] = [];
  raw.forEach((item: unknown, i) => {
    const o = (typeof item === 'object' && item !== null ? item : {}) as Raw;
    const ok =
      typeof o.pattern === 'string' &&
      PATTERN.test(o.pattern) &&
      Array.isArray(o.keys) &&
      o.keys.length <= 64 &&
      o.keys.every((k) => typeof k === 'string' && PATTERN.test(k));
    if (!ok) problems.push(`${source}[${i}] must be {"pattern": "<action pattern>", "keys": ["<key template>", ...]} (at most 64 keys)`);
    else out.push({ pattern: o.pattern as string, keys: o.keys as string[] });
  });
  return out;
}

/** Reads the `CACHE_*`, `FORESIGHT_ORIGINS[_FILE]` and `FORESIGHT_REQUIREMENTS` variables. */
export function readCacheConfig(r: EnvReader, requestTimeoutMs: number): CacheConfig {
  const inline = r.optional('FORESIGHT_ORIGINS');
  const file = r.optional('FORESIGHT_ORIGINS_FILE');
  let origins: OriginSpec[] = [];
  if (inline !== undefined && file !== undefined) r.problems.push('set FORESIGHT_ORIGINS or FORESIGHT_ORIGINS_FILE, not both');
  else if (inline !== undefined) origins = parseOrigins(inline, 'FORESIGHT_ORIGINS', requestTimeoutMs, r.problems);
  else if (file !== undefined) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      r.problems.push(`FORESIGHT_ORIGINS_FILE ${file} cannot be read: ${(error as Error).message}`);
    }
    if (text !== undefined) origins = parseOrigins(text, `FORESIGHT_ORIGINS_FILE ${file}`, requestTimeoutMs, r.problems);
  }
  const reqs = r.optional('FORESIGHT_REQUIREMENTS');
  return {
    policy: r.oneOf('CACHE_POLICY', ['lru', 'lfu', 'foresight'] as const, 'foresight'),
    budgetBytes: r.int('CACHE_BUDGET_BYTES', 256 * 1024 * 1024, 1024, Number.MAX_SAFE_INTEGER),
    prefetch: r.oneOf('CACHE_PREFETCH', ['true', 'false'] as const, 'true') === 'true',
    fetchBudget: r.number('CACHE_FETCH_BUDGET', 1.3, 1, 1000),
    warmCurrentAction: r.oneOf('CACHE_WARM_CURRENT_ACTION', ['true', 'false'] as const, 'true') === 'true',
    maxValueBytes: r.int('CACHE_MAX_VALUE_BYTES', 1024 * 1024, 16, 256 * 1024 * 1024),
    origins,
    requirements: reqs === undefined ? [] : parseRequirements(reqs, 'FORESIGHT_REQUIREMENTS', r.problems),
    learned: {
      minSupport: r.number('CACHE_LEARN_MIN_SUPPORT', 3, 0, 1e9),
      minConfidence: r.number('CACHE_LEARN_MIN_CONFIDENCE', 0.3, 0, 1),
    },
    modelPollMs: r.int('CACHE_MODEL_POLL_MS', 60_000, 100, 86_400_000),
    liveSessionMs: r.int('CACHE_LIVE_SESSION_MS', 60_000, 100, 86_400_000),
    notFoundTtlMs: r.int('CACHE_NOT_FOUND_TTL_MS', 5_000, 0, 86_400_000),
    learnedSaveMs: r.int('CACHE_LEARNED_SAVE_MS', 30_000, 0, 86_400_000),
  };
}
