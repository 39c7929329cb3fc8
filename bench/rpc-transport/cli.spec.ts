import { rpcTransportCli } from './cli';

describe('npm run bench:rpc-transport -- command line', () => {
  it('prints its usage on --help, takes its options and refuses unknown ones', () => {
    expect(rpcTransportCli.resolve(['--help'])).toEqual({ kind: 'help', text: rpcTransportCli.usage });
    expect(rpcTransportCli.usage).toMatch(/^usage: npm run bench:rpc-transport -- /);
    expect(rpcTransportCli.resolve(['--requests', '5000', '--rounds', '3', '--concurrency', '8'])).toMatchObject({
      kind: 'ok',
      value: { requests: 5000, rounds: 3, concurrency: 8 },
    });
    expect(rpcTransportCli.resolve(['--nope'])).toMatchObject({ kind: 'invalid' });
  });
});
