import { appendCli } from './cli';

describe('npm run bench:append -- command line', () => {
  it('prints its usage on --help, takes its options and refuses bad ones', () => {
    expect(appendCli.resolve(['--help'])).toEqual({ kind: 'help', text: appendCli.usage });
    expect(appendCli.usage).toMatch(/^usage: npm run bench:append -- /);
    expect(appendCli.resolve(['--appends', '5000', '--rounds', '2', '--sessions', '50', '--concurrency', '8'])).toMatchObject({
      kind: 'ok',
      value: { appends: 5000, rounds: 2, sessions: 50, concurrency: 8, out: '.bench-results/append.json' },
    });
    expect(appendCli.resolve(['--appends', '10'])).toMatchObject({ kind: 'invalid' });
    expect(appendCli.resolve(['--nope'])).toMatchObject({ kind: 'invalid' });
  });
});
