import { leasesCli } from './cli';

describe('npm run bench:leases -- command line', () => {
  it('prints its usage on --help, takes its options and refuses bad ones', () => {
    expect(leasesCli.resolve(['--help'])).toEqual({ kind: 'help', text: leasesCli.usage });
    expect(leasesCli.usage).toMatch(/^usage: npm run bench:leases -- /);
    expect(leasesCli.resolve(['--sessions', '500', '--periods', '3', '--lease-ms', '2000', '--nodes', '3'])).toMatchObject({
      kind: 'ok',
      value: { sessions: 500, periods: 3, leaseMs: 2000, nodes: 3, batchMs: 100 },
    });
    expect(leasesCli.resolve(['--sessions', '5'])).toMatchObject({ kind: 'invalid' });
    expect(leasesCli.resolve(['--nope'])).toMatchObject({ kind: 'invalid' });
  });
});
