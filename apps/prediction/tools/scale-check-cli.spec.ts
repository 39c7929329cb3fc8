import { scaleCheckCli } from './scale-check-cli';

describe('node dist/apps/prediction/tools/scale-check.js command line', () => {
  it('prints its usage on --help and refuses unknown options', () => {
    expect(scaleCheckCli.resolve(['--help'])).toEqual({ kind: 'help', text: scaleCheckCli.usage });
    expect(scaleCheckCli.usage).toMatch(/^usage: node dist\/apps\/prediction\/tools\/scale-check\.js /);
    expect(scaleCheckCli.resolve(['--data', 'x', '--epoch', '1'])).toEqual({
      kind: 'invalid',
      text: 'unknown option --epoch (did you mean --epochs?)\nrun with --help for usage (node dist/apps/prediction/tools/scale-check.js --help)',
    });
  });

  it('keeps the documented defaults and needs --data', () => {
    expect(scaleCheckCli.parse(['--data', 'x'])).toEqual({ data: 'x', format: 'msnbc', sessions: 20_000, epochs: 2, hidden: 64, requests: 2000 });
    expect(() => scaleCheckCli.parse([])).toThrow(/^--data is required/);
  });
});
