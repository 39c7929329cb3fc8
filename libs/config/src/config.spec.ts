import { ConfigError, loadConfig, longestAccessTokenMs } from './config';

describe('loadConfig', () => {
  it('gives sane development defaults', () => {
    const config = loadConfig('shard', {});
    expect(config.cluster.shardCount).toBe(1024);
    expect(config.http.port).toBe(3002);
    expect(config.session.groups).toContain('cart');
  });

  it('lists every invalid key at once', () => {
    const attempt = () => loadConfig('gateway', { SHARD_COUNT: 'many', HTTP_PORT: '70000', SESSION_ID_SECRET: 'short' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/SHARD_COUNT/);
      expect(problems).toMatch(/HTTP_PORT/);
      expect(problems).toMatch(/SESSION_ID_SECRET/);
    }
  });

  it('publishes committed events pipelined by default, as requests when asked, and refuses anything else', () => {
    expect(loadConfig('shard', {}).nats.jetStreamPublish).toBe('pipelined');
    expect(loadConfig('shard', { JETSTREAM_PUBLISH: 'request' }).nats.jetStreamPublish).toBe('request');
    expect(() => loadConfig('shard', { JETSTREAM_PUBLISH: 'batched' })).toThrow(/JETSTREAM_PUBLISH/);
  });

  it('requires secrets in production', () => {
    expect(() => loadConfig('gateway', { NODE_ENV: 'production' })).toThrow(/DATABASE_URL is required/);
  });

  it('takes the chaos delay outside production only, and has it off by default', () => {
    expect(loadConfig('shard', {}).cluster.chaosDelayMs).toBe(0);
    expect(loadConfig('shard', { FORESIGHT_CHAOS_DELAY_MS: '250' }).cluster.chaosDelayMs).toBe(250);
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/foresight',
      SESSION_ID_SECRET: 's'.repeat(32),
      SESSION_ENCRYPTION_KEY: 'e'.repeat(32),
    };
    expect(() => loadConfig('shard', { ...production, FORESIGHT_CHAOS_DELAY_MS: '250' })).toThrow(/FORESIGHT_CHAOS_DELAY_MS .* unset it in production/);
    expect(loadConfig('shard', { ...production, FORESIGHT_CHAOS_DELAY_MS: '0' }).cluster.chaosDelayMs).toBe(0);
  });

  it('has replication to warm secondaries on by default, off with REPLICATION=off, and refuses other values', () => {
    expect(loadConfig('shard', {}).cluster.replication).toBe(true);
    expect(loadConfig('shard', { REPLICATION: 'off' }).cluster.replication).toBe(false);
    expect(() => loadConfig('shard', { REPLICATION: 'maybe' })).toThrow(/REPLICATION/);
  });

  it('requires the session id secret in production only of the services that issue or check session ids', () => {
    const base = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/foresight', FORESIGHT_API_KEYS: 'k', TOKEN_ENCRYPTION_KEY: 'e'.repeat(32) };
    for (const service of ['gateway', 'shard', 'prediction', 'token'] as const) {
      expect(() => loadConfig(service, base)).toThrow(/SESSION_ID_SECRET is required/);
    }
    for (const service of ['metadata', 'affinity'] as const) {
      expect(loadConfig(service, base).session.idSecret).toBe('');
    }
  });

  it('bounds the longer access tokens issued in a load peak by the base lifetime', () => {
    expect(loadConfig('token', {}).token.maxAccessTtlMs).toBe(30 * 60_000);
    expect(() => loadConfig('token', { TOKEN_MAX_ACCESS_TTL_MS: '600000' })).toThrow(/TOKEN_MAX_ACCESS_TTL_MS must be at least TOKEN_ACCESS_TTL_MS/);
    expect(() => loadConfig('token', { TOKEN_MAX_ACCESS_TTL_MS: 'soon' })).toThrow(/TOKEN_MAX_ACCESS_TTL_MS/);
    expect(loadConfig('token', { TOKEN_MAX_ACCESS_TTL_MS: '900000' }).token.maxAccessTtlMs).toBe(900_000);
    // Keys and revocations must outlive the longest token, not the usual one.
    expect(longestAccessTokenMs(loadConfig('gateway', {}).token)).toBe(30 * 60_000);
  });

  it('keeps the HTTP body limit and the variable limit within one NATS message', () => {
    const config = loadConfig('gateway', {});
    expect(config.nats.maxPayloadBytes).toBe(1024 * 1024);
    expect(config.http.bodyLimitBytes).toBeLessThan(config.nats.maxPayloadBytes);
    expect(() => loadConfig('gateway', { HTTP_BODY_LIMIT_BYTES: String(5 * 1024 * 1024) })).toThrow(/HTTP_BODY_LIMIT_BYTES .* NATS_MAX_PAYLOAD_BYTES/);
    expect(() => loadConfig('shard', { SESSION_MAX_VARIABLE_BYTES: String(2 * 1024 * 1024) })).toThrow(
      /SESSION_MAX_VARIABLE_BYTES .* more than one NATS message/,
    );
    // A server configured to carry more allows more.
    const big = loadConfig('shard', { NATS_MAX_PAYLOAD_BYTES: String(8 * 1024 * 1024), SESSION_MAX_VARIABLE_BYTES: String(2 * 1024 * 1024) });
    expect(big.http.bodyLimitBytes).toBeGreaterThan(7 * 1024 * 1024);
  });

  it('serves the dashboard with a development operator key, none in production, and never with a back-end key', () => {
    expect(loadConfig('gateway', {}).gateway.operatorKeys).toEqual(['dev-operator-key']);
    const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/foresight', FORESIGHT_API_KEYS: 'k', SESSION_ID_SECRET: 's'.repeat(32) };
    expect(loadConfig('gateway', production).gateway.operatorKeys).toEqual([]);
    expect(loadConfig('gateway', { ...production, FORESIGHT_OPERATOR_KEYS: 'op-1, op-2' }).gateway.operatorKeys).toEqual(['op-1', 'op-2']);
    expect(() => loadConfig('gateway', { FORESIGHT_API_KEYS: 'shared,other', FORESIGHT_OPERATOR_KEYS: 'shared' })).toThrow(
      /FORESIGHT_OPERATOR_KEYS must not repeat/,
    );
  });
});
