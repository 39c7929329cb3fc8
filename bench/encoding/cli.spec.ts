import { encodingCli } from './cli';

describe('npm run bench:encoding -- command line', () => {
  it('prints its usage on --help and refuses unknown options', () => {
    expect(encodingCli.resolve(['--help'])).toEqual({ kind: 'help', text: encodingCli.usage });
    expect(encodingCli.usage).toMatch(/^usage: npm run bench:encoding -- /);
    expect(encodingCli.resolve(['--iterations', '5'])).toEqual({
      kind: 'invalid',
      text: 'unknown option --iterations\nrun with --help for usage (npm run bench:encoding -- --help)',
    });
  });
});
