import { publishCli } from './cli';

describe('npm run bench:publish -- command line', () => {
  it('prints its usage on --help, takes its options and refuses bad ones', () => {
    expect(publishCli.resolve(['--help'])).toEqual({ kind: 'help', text: publishCli.usage });
    expect(publishCli.usage).toMatch(/^usage: npm run bench:publish -- /);
    expect(publishCli.resolve(['--events', '5000', '--rounds', '3', '--concurrency', '8'])).toMatchObject({
      kind: 'ok',
      value: { events: 5000, rounds: 3, concurrency: 8, out: '.bench-results/publish.json' },
    });
    expect(publishCli.resolve(['--events', '10'])).toMatchObject({ kind: 'invalid' });
    expect(publishCli.resolve(['--nope'])).toMatchObject({ kind: 'invalid' });
  });
});
