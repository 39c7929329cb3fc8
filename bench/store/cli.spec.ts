import { parseBenchArgs, storeCli } from './cli';
import { BenchError } from './errors';

function badArgumentMessage(argv: string[]): string {
  try {
    parseBenchArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(BenchError);
    expect((err as BenchError).code).toBe('BENCH.BAD_ARGUMENT');
    return (err as BenchError).message;
  }
  throw new Error('expected BENCH.BAD_ARGUMENT');
}

describe('parseBenchArgs', () => {
  it('has the documented defaults', () => {
    const o = parseBenchArgs([]);
    expect(o).toMatchObject({
      sessions: 1000,
      durationS: 15,
      warmupS: 3,
      connections: 64,
      systems: ['foresight', 'redis', 'postgres'],
      ops: ['get', 'put'],
      group: 'cart',
      name: 'items',
      pgPoolSize: 10,
      out: '.bench-results/store.json',
    });
    expect(o.foresightUrl).toBeUndefined();
  });

  it('reads every flag and keeps systems in canonical order', () => {
    const o = parseBenchArgs([
      '--sessions',
      '200',
      '--duration',
      '5',
      '--warmup',
      '0',
      '--connections',
      '16',
      '--systems',
      'postgres,Redis',
      '--ops',
      'put',
      '--var',
      'cart/coupon',
      '--pg-pool',
      '20',
      '--foresight-url',
      'http://127.0.0.1:3000',
      '--api-key',
      'k',
      '--database-url',
      'postgres://x',
    ]);
    expect(o).toMatchObject({
      sessions: 200,
      durationS: 5,
      warmupS: 0,
      connections: 16,
      systems: ['redis', 'postgres'],
      ops: ['put'],
      group: 'cart',
      name: 'coupon',
      pgPoolSize: 20,
      foresightUrl: 'http://127.0.0.1:3000',
      apiKey: 'k',
      databaseUrl: 'postgres://x',
    });
  });

  it('lists every invalid value at once', () => {
    const msg = badArgumentMessage(['--sessions', '2.5', '--systems', 'redis,memcached', '--var', 'items']);
    expect(msg).toContain('--sessions must be a positive integer');
    expect(msg).toContain('unknown memcached');
    expect(msg).toContain('--var must look like <group>/<name>');
  });

  it('defaults the Foresight services to LOG_LEVEL=warn and rejects unknown levels', () => {
    expect(parseBenchArgs([]).foresightLogLevel).toBe('warn');
    expect(parseBenchArgs(['--log-level', 'info']).foresightLogLevel).toBe('info');
    expect(badArgumentMessage(['--log-level', 'loud'])).toContain('--log-level must be one of');
  });

  it('requires an API key with an external gateway', () => {
    expect(badArgumentMessage(['--foresight-url', 'http://h:1'])).toContain('--api-key');
  });

  it('rejects unknown flags with the usage text', () => {
    expect(badArgumentMessage(['--nope'])).toContain('npm run bench:store');
  });
});

describe('storeCli', () => {
  it('prints its usage on --help and refuses unknown options', () => {
    const help = storeCli.resolve(['--help']);
    expect(help.kind).toBe('help');
    expect(help.kind === 'help' && help.text).toMatch(/^usage: npm run bench:store -- \[options\]\n/);
    expect(storeCli.usage.replace(/\s+/g, ' ')).toMatch(/--redis-bin <path> redis-server binary;.* \(default \/usr\/bin\/redis-server\)/);
    expect(storeCli.resolve(['--nope'])).toEqual({ kind: 'invalid', text: 'unknown option --nope\nrun with --help for usage (npm run bench:store -- --help)' });
  });

  it('takes replication modes, in canonical order, and refuses them with an external gateway or a single shard node', () => {
    expect(parseBenchArgs([]).replication).toEqual([]);
    expect(parseBenchArgs(['--replication', 'off,on', '--rounds', '3']).rounds).toBe(3);
    expect(parseBenchArgs(['--replication', 'on,off']).replication).toEqual(['off', 'on']);
    expect(badArgumentMessage(['--replication', 'maybe'])).toMatch(/--replication/);
    expect(badArgumentMessage(['--replication', 'off,on', '--foresight-url', 'http://x', '--api-key', 'k'])).toMatch(/cannot use --foresight-url/);
    expect(badArgumentMessage(['--replication', 'off,on', '--shard-nodes', '1'])).toMatch(/at least 2 shard nodes/);
  });

  it('takes write coalescing modes and a profile folder, and refuses them with other comparisons or an external gateway', () => {
    expect(parseBenchArgs([]).natsCoalescing).toEqual([]);
    expect(parseBenchArgs(['--nats-coalescing', 'on,off']).natsCoalescing).toEqual(['off', 'on']);
    expect(badArgumentMessage(['--nats-coalescing', 'off,on', '--transfer', 'off,on'])).toMatch(/give one of them/);
    expect(badArgumentMessage(['--nats-coalescing', 'off,on', '--foresight-url', 'http://x', '--api-key', 'k'])).toMatch(/cannot use --foresight-url/);
    expect(parseBenchArgs([]).cpuProfDir).toBeUndefined();
    expect(parseBenchArgs(['--cpu-prof', 'profiles']).cpuProfDir).toBe('profiles');
    expect(badArgumentMessage(['--cpu-prof', 'p', '--foresight-url', 'http://x', '--api-key', 'k'])).toMatch(/--cpu-prof/);
  });

  it('takes transfer modes, and refuses them with replication modes or an external gateway', () => {
    expect(parseBenchArgs([]).transfer).toEqual([]);
    expect(parseBenchArgs(['--transfer', 'on,off']).transfer).toEqual(['off', 'on']);
    expect(badArgumentMessage(['--transfer', 'sometimes'])).toMatch(/--transfer/);
    expect(badArgumentMessage(['--transfer', 'off,on', '--replication', 'off,on'])).toMatch(/give one of them/);
    expect(badArgumentMessage(['--transfer', 'off,on', '--foresight-url', 'http://x', '--api-key', 'k'])).toMatch(/cannot use --foresight-url/);
  });

  it('takes numbers of Postgres servers to compare, and refuses them with another comparison, an external gateway or database', () => {
    expect(parseBenchArgs([]).postgresServers).toEqual([]);
    expect(parseBenchArgs(['--postgres-servers', '2,1']).postgresServers).toEqual([1, 2]);
    expect(badArgumentMessage(['--postgres-servers', '3'])).toMatch(/--postgres-servers/);
    expect(badArgumentMessage(['--postgres-servers', '1,2', '--transfer', 'off,on'])).toMatch(/give one of them/);
    expect(badArgumentMessage(['--postgres-servers', '1,2', '--foresight-url', 'http://x', '--api-key', 'k'])).toMatch(/cannot use --foresight-url/);
    expect(badArgumentMessage(['--postgres-servers', '1,2', '--database-url', 'postgres://db/x'])).toMatch(/cannot use --database-url/);
  });
});
