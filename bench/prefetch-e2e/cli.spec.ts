import { prefetchE2eCli } from './cli';

describe('npm run bench:prefetch-e2e -- command line', () => {
  it('prints its usage on --help and refuses unknown options', () => {
    expect(prefetchE2eCli.resolve(['--help'])).toEqual({ kind: 'help', text: prefetchE2eCli.usage });
    expect(prefetchE2eCli.usage).toMatch(/^usage: npm run bench:prefetch-e2e -- /);
    expect(prefetchE2eCli.resolve(['--latency', '5'])).toEqual({
      kind: 'invalid',
      text: 'unknown option --latency (did you mean --latency-ms?)\nrun with --help for usage (npm run bench:prefetch-e2e -- --help)',
    });
  });

  it('keeps the documented defaults', () => {
    expect(() => prefetchE2eCli.parse([])).toThrow(/--data/);
    expect(prefetchE2eCli.parse(['--data', __filename])).toEqual({
      data: __filename,
      format: 'lines',
      latencyMs: 20,
      payloadBytes: 1024,
      budgetKib: 256,
      requests: 1500,
      warmSessions: 60,
      concurrency: 16,
      thinkMs: 100,
      maxSessionLength: 40,
      fetchBudget: 1.3,
      baseline: 'lru',
      seed: 1,
      out: '.bench-results/prefetch-e2e.json',
    });
    expect(() => prefetchE2eCli.parse(['--data', __filename, '--baseline', 'fifo'])).toThrow(/^--baseline must be one of lru, lfu, foresight/);
  });
});
