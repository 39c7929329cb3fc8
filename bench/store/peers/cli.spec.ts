import { peerCli } from './cli';

describe('node dist/bench/store/peers/main.js command line', () => {
  it('prints its usage on --help and refuses unknown options', () => {
    expect(peerCli.resolve(['--help'])).toEqual({ kind: 'help', text: peerCli.usage });
    expect(peerCli.usage).toMatch(/^usage: node dist\/bench\/store\/peers\/main\.js /);
    expect(peerCli.resolve(['--kind', 'redis', '--port', '1', '--url', 'u', '--api-key', 'k', '--pool', '3'])).toEqual({
      kind: 'invalid',
      text: 'unknown option --pool (did you mean --pg-pool?)\nrun with --help for usage (node dist/bench/store/peers/main.js --help)',
    });
  });

  it('needs the store, port, URL and key its parent passes', () => {
    expect(peerCli.parse(['--kind', 'postgres', '--port', '7001', '--url', 'postgres://x', '--api-key', 'k'])).toEqual({
      kind: 'postgres',
      port: 7001,
      url: 'postgres://x',
      apiKey: 'k',
      ttl: 86_400,
      pgPool: 10,
    });
    expect(() => peerCli.parse(['--kind', 'memcached'])).toThrow(/^--kind must be one of redis, postgres/);
  });
});
