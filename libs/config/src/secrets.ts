import { isIP } from 'node:net';
import type { EnvReader } from './env-reader';

/** The secret every service falls back to outside production. */
export const DEVELOPMENT_SECRET = 'foresight-development-secret-do-not-use-in-production';

/** Values shipped in examples, defaults and documentation, and the weakest passwords: never production secrets. */
const KNOWN = new Set(['dev-key', 'postgres', 'password', 'secret', 'changeme', 'foresight', 'admin']);
const MARKERS = /(^|[-_.])dev([-_.]|$)|change[-_]?me|do[-_]not[-_]use|development|example|placeholder/i;

/** True for a value that is public (a development default, an example) and so protects nothing. */
export function isDevelopmentSecret(value: string): boolean {
  return KNOWN.has(value.toLowerCase()) || MARKERS.test(value);
}

/** The password of a connection URL, if any. */
function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

/** Settings holding Postgres URLs: their password is the secret. */
const URL_SECRETS = new Set(['DATABASE_URL', 'EVENT_STORE_PARTITIONS']);

/**
 * In production, refuses every secret that is a development default or an example value, whoever
 * supplied it (a compose file's fallback, a copied `.env.example`): each one named, never echoed.
 */
export function checkProductionSecrets(r: EnvReader, secrets: Readonly<Record<string, readonly string[] | string | undefined>>): void {
  for (const [name, value] of Object.entries(secrets)) {
    const values = value === undefined ? [] : typeof value === 'string' ? [value] : value;
    const bad = values.filter((v) => v !== '' && isDevelopmentSecret(URL_SECRETS.has(name) ? (urlPassword(v) ?? '') : v));
    if (bad.length > 0) {
      r.problems.push(
        `${name} holds a development or example value, which is public; with NODE_ENV=production set a secret of your own (e.g. openssl rand -base64 48)`,
      );
    }
  }
}

/** `HTTP_TRUSTED_PROXIES`: addresses or CIDR ranges (or loopback, linklocal, uniquelocal) whose X-Forwarded-For is believed. */
export function readTrustedProxies(r: EnvReader): string[] {
  const list = r.list('HTTP_TRUSTED_PROXIES', []);
  for (const entry of list) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const ok =
      ['loopback', 'linklocal', 'uniquelocal'].includes(entry) ||
      (family !== 0 && extra === undefined && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))));
    r.check(ok, `HTTP_TRUSTED_PROXIES entries must be IP addresses, CIDR ranges (10.0.0.0/8) or loopback, linklocal, uniquelocal; got "${entry.slice(0, 60)}"`);
  }
  return list;
}
