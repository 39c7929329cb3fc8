import { failoverCli } from './cli';

describe('npm run bench:failover -- command line', () => {
  it('prints its usage on --help and refuses unknown options', () => {
    expect(failoverCli.resolve(['--help'])).toEqual({ kind: 'help', text: failoverCli.usage });
    expect(failoverCli.usage).toMatch(/^usage: npm run bench:failover -- /);
    expect(failoverCli.resolve(['--node', '3'])).toEqual({
      kind: 'invalid',
      text: 'unknown option --node (did you mean --nodes?)\nrun with --help for usage (npm run bench:failover -- --help)',
    });
  });

  it('keeps the documented defaults and needs a survivor', () => {
    expect(failoverCli.parse([])).toEqual({
      nodes: 3,
      writers: 32,
      rounds: 3,
      leaseMs: 3000,
      heartbeatMs: 250,
      probeMs: 100,
      out: '.bench-results/failover.json',
    });
    expect(() => failoverCli.parse(['--nodes', '1'])).toThrow(/^--nodes must be an integer ≥ 2 \(got "1"\)/);
  });
});
