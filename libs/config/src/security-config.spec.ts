import { ConfigError, loadConfig } from './config';
import { isDevelopmentSecret } from './secrets';

const problems = (attempt: () => unknown): string => {
  try {
    attempt();
    return '';
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
};

const strong = 'Zq3v9KxP0sLr7TnWm2YbC8dFh4JgA6eU';
const production = {
  NODE_ENV: 'production',
  DATABASE_URL: `postgres://foresight:${strong}@db/foresight`,
  FORESIGHT_API_KEYS: strong,
  SESSION_ID_SECRET: strong,
  TOKEN_ENCRYPTION_KEY: strong,
  NATS_USER: 'gateway',
  // A user nkey seed made for this test (public only here; nothing trusts it).
  NATS_NKEY_SEED: 'SUAKA2CUE6TSMGKXLBQ544KT3P4ELGWQ6QABMMMLERF6LPNJUVK63LLLZY',
};

describe('development secrets in production', () => {
  it('accepts secrets of your own', () => {
    for (const service of ['gateway', 'shard', 'token', 'metadata', 'migrate'] as const) expect(problems(() => loadConfig(service, production))).toBe('');
  });

  it.each([
    ['SESSION_ID_SECRET', 'foresight-development-secret-do-not-use-in-production'],
    ['SESSION_ID_SECRET', 'dev-only-session-id-secret-change-me-0123456789'],
    ['TOKEN_ENCRYPTION_KEY', 'dev-only-token-encryption-key-change-me-0123456789'],
    ['FORESIGHT_API_KEYS', 'dev-key'],
    ['NATS_NKEY_SEED', 'change-me-gateway-nkey-seed'],
    ['DATABASE_URL', 'postgres://foresight:foresight-dev-password@postgres:5432/foresight'],
    ['DATABASE_URL', 'postgres://postgres:postgres@127.0.0.1:5432/foresight'],
  ])('refuses %s = %s, naming the variable and not the value', (name, value) => {
    const service = name === 'TOKEN_ENCRYPTION_KEY' ? 'token' : 'gateway';
    const found = problems(() => loadConfig(service, { ...production, [name]: value }));
    expect(found).toMatch(new RegExp(`${name.replace(/_/g, '_')}.* development or example value`));
    expect(found).not.toContain(value);
  });

  it('tells example values from random ones', () => {
    expect(isDevelopmentSecret('change-me-postgres-password')).toBe(true);
    expect(isDevelopmentSecret('k1-EXAMPLE-secret')).toBe(true);
    expect(isDevelopmentSecret(strong)).toBe(false);
    expect(isDevelopmentSecret('3QWE-devx_abc')).toBe(false);
  });
});

describe('API keys with scopes', () => {
  it('keeps a plain list working: every key has every scope and no tenant', () => {
    const { keys } = loadConfig('gateway', { FORESIGHT_API_KEYS: 'a-key,b-key' }).gateway.security;
    expect(keys).toEqual([
      { id: 'key-1', key: 'a-key', scopes: ['read', 'write', 'admin'] },
      { id: 'key-2', key: 'b-key', scopes: ['read', 'write', 'admin'] },
    ]);
  });

  it('adds scoped and per-tenant keys', () => {
    const scoped = [
      { id: 'reader', key: 'r'.repeat(24), scopes: ['read'] },
      { id: 'acme', key: 'a'.repeat(24), scopes: ['read', 'write'], userPrefix: 'acme:' },
    ];
    const { keys } = loadConfig('gateway', { FORESIGHT_SCOPED_API_KEYS: JSON.stringify(scoped) }).gateway.security;
    expect(keys.map((k) => k.id)).toEqual(['key-1', 'reader', 'acme']);
    expect(keys[2]).toEqual({ id: 'acme', key: 'a'.repeat(24), scopes: ['read', 'write'], userPrefix: 'acme:' });
  });

  it('refuses malformed entries, short keys, unknown scopes and a tenant with the admin scope', () => {
    const found = problems(() =>
      loadConfig('gateway', {
        FORESIGHT_SCOPED_API_KEYS: JSON.stringify([
          { id: 'bad id', key: 'k'.repeat(24), scopes: ['read'] },
          { id: 'short', key: 'k', scopes: ['read'] },
          { id: 'scope', key: 's'.repeat(24), scopes: ['delete'] },
          { id: 'tenant', key: 't'.repeat(24), scopes: ['admin'], userPrefix: 't:' },
        ]),
      }),
    );
    expect(found).toMatch(/\[0\]\.id must be/);
    expect(found).toMatch(/\[1\]\.key must be at least 24 characters/);
    expect(found).toMatch(/\[2\]\.scopes must list one or more of read, write, admin/);
    expect(found).toMatch(/\[3\] has a userPrefix and the admin scope/);
    expect(problems(() => loadConfig('gateway', { FORESIGHT_SCOPED_API_KEYS: '{' }))).toMatch(/must be a JSON array/);
  });
});

describe('browser and proxy settings', () => {
  it('defaults to no CORS origin, no trusted proxy, access logs on', () => {
    const config = loadConfig('gateway', {});
    expect(config.gateway.security.corsOrigins).toEqual([]);
    expect(config.http.trustedProxies).toEqual([]);
    expect(config.gateway.security.accessLog).toBe(true);
  });

  it('checks origins and proxy addresses', () => {
    const config = loadConfig('gateway', {
      CORS_ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:5173',
      HTTP_TRUSTED_PROXIES: '10.0.0.0/8,::1,loopback',
    });
    expect(config.gateway.security.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.http.trustedProxies).toEqual(['10.0.0.0/8', '::1', 'loopback']);
    const found = problems(() => loadConfig('gateway', { CORS_ALLOWED_ORIGINS: '*,https://a.com/path', HTTP_TRUSTED_PROXIES: '10.0.0.0/33,proxy.local' }));
    expect(found.match(/CORS_ALLOWED_ORIGINS entries/g)).toHaveLength(2);
    expect(found.match(/HTTP_TRUSTED_PROXIES entries/g)).toHaveLength(2);
  });
});

describe('encryption of sensitive groups', () => {
  it('is off by default', () => {
    expect(loadConfig('shard', {}).session.encryption).toEqual({ sensitiveGroups: [], keys: [] });
  });

  it('reads keys oldest first on shard nodes only, with a development key outside production', () => {
    const env = { SESSION_SENSITIVE_GROUPS: 'auth', SESSION_ENCRYPTION_KEYS: `k1:${'a'.repeat(32)},k2:${'b'.repeat(32)}` };
    expect(loadConfig('shard', env).session.encryption.keys.map((k) => k.id)).toEqual(['k1', 'k2']);
    expect(loadConfig('gateway', env).session.encryption).toEqual({ sensitiveGroups: ['auth'], keys: [] });
    expect(loadConfig('shard', { SESSION_SENSITIVE_GROUPS: 'auth' }).session.encryption.keys.map((k) => k.id)).toEqual(['dev']);
    expect(problems(() => loadConfig('shard', { ...production, SESSION_SENSITIVE_GROUPS: 'auth' }))).toMatch(/SESSION_ENCRYPTION_KEYS is required/);
  });

  it('refuses unknown groups, short secrets and repeated ids', () => {
    const found = problems(() =>
      loadConfig('shard', { SESSION_SENSITIVE_GROUPS: 'auth,secrets', SESSION_ENCRYPTION_KEYS: `k1:short,k2:${'b'.repeat(32)},k2:${'c'.repeat(32)}` }),
    );
    expect(found).toMatch(/SESSION_SENSITIVE_GROUPS names "secrets", which is not in SESSION_GROUPS/);
    expect(found).toMatch(/entries must be <id>:<secret>/);
    expect(found).toMatch(/key id "k2" is used twice/);
  });
});
