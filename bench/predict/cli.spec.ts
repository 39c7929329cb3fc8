import { predictCli } from './cli';

describe('npm run bench:predict -- command line', () => {
  it('prints its usage on --help and refuses unknown options', () => {
    expect(predictCli.resolve(['--help'])).toEqual({ kind: 'help', text: predictCli.usage });
    expect(predictCli.usage).toMatch(/^usage: npm run bench:predict -- /);
    expect(predictCli.resolve(['--data', 'x', '--hidden', '64'])).toEqual({
      kind: 'invalid',
      text: 'unknown option --hidden (did you mean --rnn-hidden?)\nrun with --help for usage (npm run bench:predict -- --help)',
    });
  });

  it('keeps the documented defaults and generates sessions without --data', () => {
    expect(predictCli.parse([])).toEqual({
      data: null,
      format: 'lines',
      maxSessions: 300_000,
      k: 3,
      calls: 200_000,
      history: 10,
      hidden: 128,
      out: null,
      test: null,
      liveSessions: 1000,
      plans: 20_000,
      fitPositions: 2000,
      actionIntervalMs: 1000,
    });
    expect(predictCli.parse(['--data', 'x', '--format', 'msnbc', '--rnn-hidden', '64'])).toMatchObject({ data: 'x', format: 'msnbc', hidden: 64 });
  });
});
