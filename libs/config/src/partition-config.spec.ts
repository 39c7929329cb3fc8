import { loadConfig } from './config';
import { parseStorePartitions } from './partition-config';

const PRIMARY = 'postgres://u:p@db1/foresight';

describe('event store partitions', () => {
  it('puts every shard on the primary database by default', () => {
    expect(parseStorePartitions(undefined, 1024, PRIMARY)).toEqual({ partitions: [{ first: 0, last: 1023, url: PRIMARY }], problems: [] });
    expect(parseStorePartitions('  ', 8, PRIMARY).partitions).toEqual([{ first: 0, last: 7, url: PRIMARY }]);
    expect(loadConfig('shard', { DATABASE_URL: PRIMARY }).database.partitions).toEqual([{ first: 0, last: 1023, url: PRIMARY }]);
  });

  it('reads ranges in any order, separated by commas or spaces, with "primary" for DATABASE_URL', () => {
    const { partitions, problems } = parseStorePartitions('512-1023=postgres://u:p@db2/foresight, 0-511=primary', 1024, PRIMARY);
    expect(problems).toEqual([]);
    expect(partitions).toEqual([
      { first: 0, last: 511, url: PRIMARY },
      { first: 512, last: 1023, url: 'postgres://u:p@db2/foresight' },
    ]);
    expect(parseStorePartitions('0-0=primary 1-1=postgresql://db2/x 2-3=postgres://db3/x', 4, PRIMARY).partitions.map((p) => p.url)).toEqual([
      PRIMARY,
      'postgresql://db2/x',
      'postgres://db3/x',
    ]);
  });

  it('refuses gaps, overlaps, ranges past the last shard and entries it cannot read, saying which shards', () => {
    const problems = (raw: string, count = 64) => parseStorePartitions(raw, count, PRIMARY).problems.join('\n');
    expect(problems('0-30=primary,32-63=postgres://db2/x')).toMatch(/shards 31-31 are in no partition/);
    expect(problems('0-31=primary,30-63=postgres://db2/x')).toMatch(/shards 30-31 are in more than one partition/);
    expect(problems('0-31=primary')).toMatch(/shards 32-63 are in no partition/);
    expect(problems('0-31=primary,32-64=postgres://db2/x')).toMatch(/range 32-64 goes past the last shard, 63 \(SHARD_COUNT is 64\)/);
    expect(problems('0-63=primary,40-20=primary')).toMatch(/range 40-20 is empty/);
    expect(problems('0-63')).toMatch(/"0-63" is not first-last=url/);
    expect(problems('all=primary')).toMatch(/is not first-last=url \(e\.g\. "0-31=primary,32-63=postgres:/);
    expect(problems('0-63=mysql://db/x')).toMatch(/names "mysql:\/\/db\/x", not a postgres:\/\/ URL or "primary"/);
    // A password in a refused entry is not echoed.
    expect(problems('0-63=http://admin:secret@db/x')).not.toMatch(/secret/);
  });

  it('fails configuration loading with the problem, like every other setting', () => {
    expect(() => loadConfig('shard', { SHARD_COUNT: '64', EVENT_STORE_PARTITIONS: '0-31=primary' })).toThrow(
      /EVENT_STORE_PARTITIONS: shards 32-63 are in no partition/,
    );
    const config = loadConfig('shard', { SHARD_COUNT: '64', DATABASE_URL: PRIMARY, EVENT_STORE_PARTITIONS: '0-31=primary,32-63=postgres://db2/x' });
    expect(config.database.partitions).toHaveLength(2);
  });

  it('refuses a development password in a partition URL in production, as in DATABASE_URL', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://foresight:a-real-secret-of-some-length@db1/foresight',
      FORESIGHT_API_KEYS: 'k',
      SESSION_ID_SECRET: 's'.repeat(32),
      SHARD_COUNT: '64',
    };
    expect(() => loadConfig('shard', { ...production, EVENT_STORE_PARTITIONS: '0-31=primary,32-63=postgres://postgres:postgres@db2/foresight' })).toThrow(
      /EVENT_STORE_PARTITIONS holds a development or example value/,
    );
    expect(() =>
      loadConfig('shard', { ...production, EVENT_STORE_PARTITIONS: '0-31=primary,32-63=postgres://foresight:another-real-secret@db2/x' }),
    ).not.toThrow();
  });
});
