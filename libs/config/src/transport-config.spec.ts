import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';

const problems = (env: Record<string, string>, service: 'gateway' | 'shard' = 'shard'): string => {
  try {
    loadConfig(service, env);
    return '';
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
};

// A user nkey seed made for these tests; nothing trusts it.
const SEED = 'SUAKA2CUE6TSMGKXLBQ544KT3P4ELGWQ6QABMMMLERF6LPNJUVK63LLLZY';
const dir = mkdtempSync(join(tmpdir(), 'transport-config-'));
const pem = join(dir, 'ca.crt');
writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const notPem = join(dir, 'notes.txt');
writeFileSync(notPem, 'hello');
const seedFile = join(dir, 'seed');
writeFileSync(seedFile, `${SEED}\n`);

describe('NATS credentials', () => {
  it('takes an nkey seed inline or from a file, with the user naming the inbox', () => {
    expect(loadConfig('shard', { NATS_USER: 'node-a', NATS_NKEY_SEED: SEED }).nats).toMatchObject({ user: 'node-a', nkeySeed: SEED });
    expect(loadConfig('shard', { NATS_USER: 'node-a', NATS_NKEY_SEED_FILE: seedFile }).nats.nkeySeed).toBe(SEED);
  });

  it('refuses a malformed seed, naming the variable and not echoing the value', () => {
    const broken = `${SEED.slice(0, -1)}A`;
    const found = problems({ NATS_USER: 'node-a', NATS_NKEY_SEED: broken });
    expect(found).toMatch(/NATS_NKEY_SEED is not a NATS user nkey seed/);
    expect(found).not.toContain(broken);
    // A public key is not a seed, nor is an account seed.
    expect(problems({ NATS_USER: 'a', NATS_NKEY_SEED: 'UCHNMIYXEES2GDUDIHZXNHLOMIXFJXYGYFGF56Z6SEAGQALSLC3UBQER' })).toMatch(/NATS_NKEY_SEED is not/);
    expect(problems({ NATS_USER: 'a', NATS_NKEY_SEED_FILE: notPem })).toMatch(/NATS_NKEY_SEED_FILE is not a NATS user nkey seed/);
  });

  it('names the variable of a missing seed file', () => {
    expect(problems({ NATS_USER: 'a', NATS_NKEY_SEED_FILE: join(dir, 'missing') })).toMatch(/NATS_NKEY_SEED_FILE: cannot read .*missing \(ENOENT\)/);
  });

  it('wants the user with a seed, and one credential only', () => {
    expect(problems({ NATS_NKEY_SEED: SEED })).toMatch(/NATS_USER is required with NATS_NKEY_SEED/);
    expect(problems({ NATS_USER: 'a', NATS_NKEY_SEED: SEED, NATS_PASSWORD: 'x' })).toMatch(/set NATS_PASSWORD or NATS_NKEY_SEED, not both/);
    expect(problems({ NATS_USER: 'a', NATS_NKEY_SEED: SEED, NATS_NKEY_SEED_FILE: seedFile })).toMatch(/not both/);
  });

  it('accepts a password in development only', () => {
    expect(loadConfig('shard', { NATS_USER: 'a', NATS_PASSWORD: 'pw' }).nats.password).toBe('pw');
    expect(problems({ NODE_ENV: 'production', NATS_USER: 'a', NATS_PASSWORD: 'Zq3v9KxP0sLr7TnWm2YbC8dFh4JgA6eU' })).toMatch(
      /NATS_PASSWORD is for development only/,
    );
  });
});

describe('TLS settings', () => {
  it('is off unless configured', () => {
    const config = loadConfig('gateway', {});
    expect([config.nats.tls, config.http.tls, config.database.ssl]).toEqual([undefined, undefined, { mode: 'disable' }]);
  });

  it('reads the PEM files the variables name', () => {
    const config = loadConfig('gateway', {
      NATS_TLS_CA_FILE: pem,
      HTTP_TLS_CERT_FILE: pem,
      HTTP_TLS_KEY_FILE: pem,
      DATABASE_SSL: 'verify-full',
      DATABASE_SSL_CA_FILE: pem,
    });
    expect(config.nats.tls?.ca).toContain('BEGIN CERTIFICATE');
    expect(config.http.tls?.key).toContain('BEGIN CERTIFICATE');
    expect(config.database.ssl).toMatchObject({ mode: 'verify-full', ca: expect.stringContaining('BEGIN') });
    expect(loadConfig('shard', { NATS_TLS: 'true' }).nats.tls).toEqual({});
  });

  it.each([
    ['NATS_TLS_CA_FILE', { NATS_TLS_CA_FILE: join(dir, 'nope.crt') }, /NATS_TLS_CA_FILE: cannot read .*nope\.crt \(ENOENT\)/],
    ['HTTP_TLS_CERT_FILE', { HTTP_TLS_CERT_FILE: notPem, HTTP_TLS_KEY_FILE: pem }, /HTTP_TLS_CERT_FILE: .*notes\.txt is not a PEM file/],
    ['HTTP_TLS_KEY_FILE', { HTTP_TLS_CERT_FILE: pem }, /HTTP_TLS_CERT_FILE and HTTP_TLS_KEY_FILE go together/],
    ['DATABASE_SSL_CA_FILE', { DATABASE_SSL: 'verify-ca', DATABASE_SSL_CA_FILE: dir }, /DATABASE_SSL_CA_FILE: cannot read .* \(EISDIR\)/],
    ['DATABASE_SSL', { DATABASE_SSL: 'on' }, /DATABASE_SSL must be one of disable, require, verify-ca, verify-full/],
    ['DATABASE_SSL_CA_FILE', { DATABASE_SSL_CA_FILE: pem }, /DATABASE_SSL_CA_FILE is set but DATABASE_SSL is disable/],
    ['DATABASE_URL', { DATABASE_SSL: 'require', DATABASE_URL: 'postgres://u:p@db/x?sslmode=disable' }, /DATABASE_URL carries SSL parameters/],
    ['NATS_TLS', { NATS_TLS: 'false', NATS_TLS_CA_FILE: pem }, /NATS_TLS is false but NATS_TLS_CA_FILE is set/],
  ])('refuses a bad %s with an error naming it', (_name, env, expected) => {
    expect(problems(env as Record<string, string>, 'gateway')).toMatch(expected);
  });
});
