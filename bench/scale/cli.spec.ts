import { scaleCli } from './cli';

describe('npm run bench:scale -- command line', () => {
  it('prints its usage on --help and refuses unknown or bad options', () => {
    expect(scaleCli.resolve(['--help'])).toEqual({ kind: 'help', text: scaleCli.usage });
    expect(scaleCli.usage).toMatch(/^usage: npm run bench:scale -- /);
    expect(scaleCli.resolve(['--trace', 't', '--session', '3'])).toMatchObject({ kind: 'invalid', text: expect.stringMatching(/unknown option --session/) });
    expect(() => scaleCli.parse(['--trace', 't', '--sessions', '5'])).toThrow(/--sessions must be an integer ≥ 10/);
    expect(() => scaleCli.parse(['--trace', 't', '--modes', 'maybe'])).toThrow(/--modes/);
    expect(() => scaleCli.parse([])).toThrow(/--trace/);
  });

  it('keeps the documented defaults: 10,000 sessions, transfer on then off', () => {
    expect(scaleCli.parse(['--trace', 't'])).toEqual({
      trace: 't',
      sessions: 10_000,
      workers: 24,
      steadyS: 15,
      afterS: 5,
      modes: ['on', 'off'],
      seed: 1,
      out: '.bench-results/scale.json',
    });
  });
});
