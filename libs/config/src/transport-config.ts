import { readFileSync } from 'node:fs';
import { fromSeed } from 'nkeys.js';
import type { EnvReader } from './env-reader';
import { isDevelopmentSecret } from './secrets';

/** How a service proves who it is to NATS: an nkey (signs the server's nonce) or, in development only, a password. */
export interface NatsAuthConfig {
  /** The user name: names the reply inbox (`_INBOX.<user>`), the only one the user may read. */
  readonly user?: string;
  readonly password?: string;
  /** The user's nkey seed (`SU…`); never leaves the process, the server knows only the public key. */
  readonly nkeySeed?: string;
}

/** TLS to NATS: present means required. PEM texts, read at startup. */
export interface NatsTlsConfig {
  /** The CA that signed the server's certificate; none: the system's trusted CAs. */
  readonly ca?: string;
  /** A client certificate, for servers that verify clients (`verify: true`). */
  readonly cert?: string;
  readonly key?: string;
}

/** HTTPS for a service's HTTP server (the gateway's clients): certificate chain and private key, PEM. */
export interface HttpTlsConfig {
  readonly cert: string;
  readonly key: string;
}

/** The libpq names: `require` encrypts, `verify-ca` also checks the CA, `verify-full` also the host name. */
export const DATABASE_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type DatabaseSslMode = (typeof DATABASE_SSL_MODES)[number];

export interface DatabaseSslConfig {
  readonly mode: DatabaseSslMode;
  /** The CA that signed the Postgres server's certificate; none: the system's trusted CAs. */
  readonly ca?: string;
  /** A client certificate, for servers that ask for one (`clientcert=verify-full` in pg_hba.conf). */
  readonly cert?: string;
  readonly key?: string;
}

/** Reads the file a `*_FILE` variable names; a missing or unreadable file is a problem naming the variable. */
function readFileOf(r: EnvReader, key: string, pem: boolean): string | undefined {
  const file = r.optional(key);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    r.problems.push(`${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return undefined;
  }
  if (pem && !text.includes('-----BEGIN ')) {
    r.problems.push(`${key}: ${file} is not a PEM file (no "-----BEGIN" line)`);
    return undefined;
  }
  return text;
}

/** A certificate and its key: both or neither. */
function readPair(r: EnvReader, certKey: string, keyKey: string): { cert?: string; key?: string } {
  const cert = readFileOf(r, certKey, true);
  const key = readFileOf(r, keyKey, true);
  const certSet = r.optional(certKey) !== undefined;
  const keySet = r.optional(keyKey) !== undefined;
  if (certSet !== keySet) r.problems.push(`${certKey} and ${keyKey} go together: set both or neither`);
  return { cert, key };
}

/** True when `seed` decodes as an nkey seed of a NATS user (prefix `SU`, valid checksum). */
export function isUserNkeySeed(seed: string): boolean {
  if (!seed.startsWith('SU')) return false;
  try {
    fromSeed(new TextEncoder().encode(seed)).getPublicKey();
    return true;
  } catch {
    return false;
  }
}

/**
 * `NATS_USER` with `NATS_NKEY_SEED` (or `NATS_NKEY_SEED_FILE`), or with `NATS_PASSWORD` outside
 * production: a password crosses the wire and sits in the server's config, an nkey seed does neither.
 */
export function readNatsAuth(r: EnvReader, production: boolean): NatsAuthConfig {
  const user = r.optional('NATS_USER');
  const password = r.optional('NATS_PASSWORD');
  const inline = r.optional('NATS_NKEY_SEED');
  const fromFile = readFileOf(r, 'NATS_NKEY_SEED_FILE', false)?.trim();
  if (inline !== undefined && r.optional('NATS_NKEY_SEED_FILE') !== undefined) r.problems.push('set NATS_NKEY_SEED or NATS_NKEY_SEED_FILE, not both');
  const seedVariable = inline !== undefined ? 'NATS_NKEY_SEED' : 'NATS_NKEY_SEED_FILE';
  const nkeySeed = inline ?? fromFile;
  if (nkeySeed !== undefined) {
    // Never echo the seed: it is the credential.
    if (production && isDevelopmentSecret(nkeySeed))
      r.problems.push(`${seedVariable} holds a development or example value, which is public; generate a seed with npm run nats:nkeys`);
    else if (!isUserNkeySeed(nkeySeed))
      r.problems.push(`${seedVariable} is not a NATS user nkey seed (58 characters starting with "SU"); generate one with npm run nats:nkeys`);
    if (password !== undefined) r.problems.push(`set NATS_PASSWORD or ${seedVariable}, not both`);
    if (user === undefined) r.problems.push(`NATS_USER is required with ${seedVariable}: it names the user's reply inbox, the only one it may read`);
  }
  if (production && password !== undefined)
    r.problems.push('NATS_PASSWORD is for development only; in production authenticate with an nkey (NATS_NKEY_SEED or NATS_NKEY_SEED_FILE)');
  return { user, password, nkeySeed };
}

/** `NATS_TLS` (true: TLS with the system's CAs), `NATS_TLS_CA_FILE`, `NATS_TLS_CERT_FILE` + `NATS_TLS_KEY_FILE`. */
export function readNatsTls(r: EnvReader): NatsTlsConfig | undefined {
  const flag = r.optional('NATS_TLS');
  r.check(flag === undefined || flag === 'true' || flag === 'false', `NATS_TLS must be true or false (got "${flag}")`);
  const ca = readFileOf(r, 'NATS_TLS_CA_FILE', true);
  const pair = readPair(r, 'NATS_TLS_CERT_FILE', 'NATS_TLS_KEY_FILE');
  const files = ['NATS_TLS_CA_FILE', 'NATS_TLS_CERT_FILE', 'NATS_TLS_KEY_FILE'].filter((k) => r.optional(k) !== undefined);
  if (flag === 'false' && files.length > 0) r.problems.push(`NATS_TLS is false but ${files.join(', ')} is set: remove it or set NATS_TLS=true`);
  if (flag !== 'true' && files.length === 0) return undefined;
  if (flag === 'false') return undefined;
  return { ca, ...pair };
}

/** `HTTP_TLS_CERT_FILE` + `HTTP_TLS_KEY_FILE`: the HTTP server speaks HTTPS only. */
export function readHttpTls(r: EnvReader): HttpTlsConfig | undefined {
  const { cert, key } = readPair(r, 'HTTP_TLS_CERT_FILE', 'HTTP_TLS_KEY_FILE');
  return cert !== undefined && key !== undefined ? { cert, key } : undefined;
}

/** `DATABASE_SSL` (libpq's sslmode names) with `DATABASE_SSL_CA_FILE` and an optional client certificate. */
export function readDatabaseSsl(r: EnvReader, url: string): DatabaseSslConfig {
  const mode = r.oneOf('DATABASE_SSL', DATABASE_SSL_MODES, 'disable');
  const ca = readFileOf(r, 'DATABASE_SSL_CA_FILE', true);
  const pair = readPair(r, 'DATABASE_SSL_CERT_FILE', 'DATABASE_SSL_KEY_FILE');
  const files = ['DATABASE_SSL_CA_FILE', 'DATABASE_SSL_CERT_FILE', 'DATABASE_SSL_KEY_FILE'].filter((k) => r.optional(k) !== undefined);
  if (mode === 'disable' && files.length > 0)
    r.problems.push(`${files.join(', ')} is set but DATABASE_SSL is disable: set DATABASE_SSL (require, verify-ca or verify-full)`);
  if (mode === 'require' && r.optional('DATABASE_SSL_CA_FILE') !== undefined)
    r.problems.push('DATABASE_SSL_CA_FILE is set but DATABASE_SSL=require does not check the certificate: use verify-ca or verify-full');
  // The URL's own sslmode would override these settings in the driver: one place only.
  if (mode !== 'disable' && /[?&](sslmode|ssl|sslrootcert|sslcert|sslkey)=/.test(url))
    r.problems.push(
      'DATABASE_URL carries SSL parameters (sslmode, sslrootcert...) and DATABASE_SSL is set: configure SSL in one place, the DATABASE_SSL variables',
    );
  return { mode, ca, ...pair };
}
