import { ConfigError, loadConfig } from './config';

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

  it('requires secrets in production', () => {
    expect(() => loadConfig('gateway', { NODE_ENV: 'production' })).toThrow(/DATABASE_URL is required/);
  });
});
