import { validationCli } from './cli';

describe('npm run bench:validation -- command line', () => {
  it('prints its usage on --help, takes its options and refuses unknown ones', () => {
    expect(validationCli.resolve(['--help'])).toEqual({ kind: 'help', text: validationCli.usage });
    expect(validationCli.usage).toMatch(/^usage: npm run bench:validation -- /);
    expect(validationCli.resolve(['--iterations', '5000', '--rounds', '3'])).toMatchObject({ kind: 'ok', value: { iterations: 5000, rounds: 3 } });
    expect(validationCli.resolve(['--nope'])).toMatchObject({ kind: 'invalid' });
  });
});
