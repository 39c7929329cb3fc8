import type { EnvReader } from './env-reader';

/** What an API key may do: read (GET), write (every other method on session routes), admin (cluster-wide operations). */
export type ApiKeyScope = 'read' | 'write' | 'admin';
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ['read', 'write', 'admin'];

/** One back end's API key. */
export interface ApiKeySpec {
  /** Names the key in access logs and rate limits (never the key itself). */
  readonly id: string;
  readonly key: string;
  readonly scopes: readonly ApiKeyScope[];
  /**
   * A tenant's key: it creates sessions only for user ids that start with this prefix and reaches only
   * sessions whose user id does. Undefined: every session.
   */
  readonly userPrefix?: string;
}

/** The gateway's defences for callers on the open internet and in browsers. */
export interface GatewaySecurityConfig {
  /** Every API key: those of `FORESIGHT_API_KEYS` (all scopes) and those of `FORESIGHT_SCOPED_API_KEYS`. */
  readonly keys: readonly ApiKeySpec[];
  /** Origins (scheme://host[:port]) whose pages may call the gateway from a browser; empty: none. */
  readonly corsOrigins: readonly string[];
  /** One info line per request (correlation id, method, route, status, latency). */
  readonly accessLog: boolean;
  /** Token buckets of the mutating routes, per API key and per client address (callers without a key); 0 = no limit. */
  readonly writeLimits: {
    readonly perKeyPerSecond: number;
    readonly keyBurst: number;
    readonly perIpPerSecond: number;
    readonly ipBurst: number;
    /**
     * How often a gateway tells the others what it took from each bucket, so that the rates hold for
     * the cluster, not per instance (a client may overshoot by what all gateways take in one period);
     * 0 = each gateway limits on its own.
     */
    readonly shareEveryMs: number;
  };
}

/** Encryption at rest of the values of sensitive state groups. */
export interface SessionEncryptionConfig {
  /** Groups whose variable values are stored encrypted in Postgres. */
  readonly sensitiveGroups: readonly string[];
  /** Keys by id, oldest first: new writes use the last one, reads any of them. Empty when no group is sensitive. */
  readonly keys: readonly { readonly id: string; readonly secret: string }[];
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

/** `FORESIGHT_SCOPED_API_KEYS`: a JSON array of `{id, key, scopes, userPrefix?}`. */
function scopedKeys(json: string | undefined, problems: string[]): ApiKeySpec[] {
  if (json === undefined) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    problems.push('FORESIGHT_SCOPED_API_KEYS must be a JSON array of {"id", "key", "scopes": ["read", "write", "admin"], "userPrefix"?}');
    return [];
  }
  if (!Array.isArray(raw)) {
    problems.push('FORESIGHT_SCOPED_API_KEYS must be a JSON array');
    return [];
  }
  const out: ApiKeySpec[] = [];
  raw.forEach((item: unknown, i) => {
    const where = `FORESIGHT_SCOPED_API_KEYS[${i}]`;
    const o = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const before = problems.length;
    if (typeof o.id !== 'string' || !KEY_ID.test(o.id)) problems.push(`${where}.id must be 1-32 characters from letters, digits, _ . -`);
    if (typeof o.key !== 'string' || o.key.length < 24 || /[\s,]/.test(o.key))
      problems.push(`${where}.key must be at least 24 characters without spaces or commas (e.g. openssl rand -base64 32)`);
    const scopes = Array.isArray(o.scopes) ? o.scopes : [];
    if (scopes.length === 0 || !scopes.every((s) => (API_KEY_SCOPES as readonly unknown[]).includes(s)))
      problems.push(`${where}.scopes must list one or more of ${API_KEY_SCOPES.join(', ')}`);
    if (o.userPrefix !== undefined && (typeof o.userPrefix !== 'string' || o.userPrefix.length === 0 || o.userPrefix.length > 64))
      problems.push(`${where}.userPrefix must be 1-64 characters`);
    if (o.userPrefix !== undefined && scopes.includes('admin'))
      problems.push(`${where} has a userPrefix and the admin scope: admin operations reach every tenant, so a tenant's key cannot have it`);
    if (problems.length > before) return;
    out.push({
      id: o.id as string,
      key: o.key as string,
      scopes: [...new Set(scopes as ApiKeyScope[])],
      ...(o.userPrefix !== undefined ? { userPrefix: o.userPrefix as string } : {}),
    });
  });
  return out;
}

/** Reads the gateway's API keys, CORS, access-log and write-limit settings. */
export function readGatewaySecurity(r: EnvReader, legacyKeys: readonly string[]): GatewaySecurityConfig {
  // Keys of the plain list keep working as they always did: every scope, every session.
  const keys: ApiKeySpec[] = legacyKeys.map((key, i) => ({ id: `key-${i + 1}`, key, scopes: API_KEY_SCOPES }));
  for (const k of scopedKeys(r.optional('FORESIGHT_SCOPED_API_KEYS'), r.problems)) {
    if (keys.some((other) => other.id === k.id)) r.problems.push(`FORESIGHT_SCOPED_API_KEYS: the id "${k.id}" is used twice`);
    if (keys.some((other) => other.key === k.key)) r.problems.push(`FORESIGHT_SCOPED_API_KEYS: the key of "${k.id}" is listed twice`);
    keys.push(k);
  }
  const corsOrigins = r.list('CORS_ALLOWED_ORIGINS', []);
  for (const o of corsOrigins) {
    r.check(
      ORIGIN.test(o),
      `CORS_ALLOWED_ORIGINS entries must be origins such as https://app.example.com (scheme, host, optional port; no path, no "*"), got "${o.slice(0, 80)}"`,
    );
  }
  return {
    keys,
    corsOrigins,
    accessLog: r.oneOf('HTTP_ACCESS_LOG', ['on', 'off'] as const, 'on') === 'on',
    writeLimits: {
      perKeyPerSecond: r.number('HTTP_WRITE_RATE_PER_KEY', 10_000, 0, 1e7),
      keyBurst: r.int('HTTP_WRITE_BURST_PER_KEY', 20_000, 1, 1e8),
      perIpPerSecond: r.number('HTTP_WRITE_RATE_PER_IP', 20, 0, 1e7),
      ipBurst: r.int('HTTP_WRITE_BURST_PER_IP', 60, 1, 1e8),
      shareEveryMs: r.int('HTTP_WRITE_LIMIT_SHARE_MS', 250, 0, 60_000),
    },
  };
}

/**
 * `SESSION_ENCRYPTION_KEYS`: `id:secret` pairs, comma-separated, oldest first (the last encrypts new
 * writes). Only shard nodes read them; required once `SESSION_SENSITIVE_GROUPS` names a group.
 */
export function readSessionEncryption(
  r: EnvReader,
  groups: readonly string[],
  readsKeys: boolean,
  developmentSecret: string | undefined,
): SessionEncryptionConfig {
  const sensitiveGroups = r.list('SESSION_SENSITIVE_GROUPS', []);
  for (const g of sensitiveGroups) {
    r.check(groups.includes(g), `SESSION_SENSITIVE_GROUPS names "${g.slice(0, 40)}", which is not in SESSION_GROUPS (${groups.join(', ')})`);
  }
  if (!readsKeys || sensitiveGroups.length === 0) return { sensitiveGroups, keys: [] };
  const entries = r.list('SESSION_ENCRYPTION_KEYS', developmentSecret === undefined ? [] : [`dev:${developmentSecret}`]);
  if (entries.length === 0) r.problems.push('SESSION_ENCRYPTION_KEYS is required when SESSION_SENSITIVE_GROUPS names a group');
  const keys: { id: string; secret: string }[] = [];
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const secret = colon > 0 ? entry.slice(colon + 1) : '';
    if (!KEY_ID.test(id) || secret.length < 32) {
      r.problems.push(
        'SESSION_ENCRYPTION_KEYS entries must be <id>:<secret>, the id 1-32 characters from letters, digits, _ . - and the secret at least 32 characters',
      );
      continue;
    }
    if (keys.some((k) => k.id === id)) r.problems.push(`SESSION_ENCRYPTION_KEYS: the key id "${id}" is used twice`);
    keys.push({ id, secret });
  }
  return { sensitiveGroups, keys };
}
