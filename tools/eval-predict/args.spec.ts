import { evalCli } from './args';

describe('eval:predict arguments', () => {
  it('keeps the documented defaults', () => {
    expect(evalCli.parse(['--data', 'x', '--format', 'lines'])).toEqual({
      data: 'x',
      format: 'lines',
      maxSessions: Number.POSITIVE_INFINITY,
      k: 3,
      history: 10,
      rnnEpochs: 2,
      rnnHidden: 128,
      rnnMaxWindows: 700_000,
      rnnLearningRate: 0.01,
      rnnBatch: 1024,
      rnnCell: 'gru',
      skipRnn: false,
      markovVariants: [],
      rnnHeldOut: 60_000,
      saveRnn: null,
      loadRnn: null,
      seed: 42,
      out: null,
    });
    expect(
      evalCli.parse(['--data', 'x', '--format', 'msnbc', '--no-rnn', '--markov-variants', 'ppm-c:3,interpolated:4:d0.9', '--rnn-windows', '0']),
    ).toMatchObject({
      skipRnn: true,
      markovVariants: ['ppm-c:3', 'interpolated:4:d0.9'],
      rnnMaxWindows: 0,
    });
  });

  it('prints its usage on --help and refuses unknown options and missing ones', () => {
    expect(evalCli.resolve(['--help'])).toEqual({ kind: 'help', text: evalCli.usage });
    expect(evalCli.usage).toMatch(/^usage: npm run eval:predict -- --data <path> --format msnbc\|lines\|tsv \[options\]\n/);
    expect(evalCli.resolve(['--data', 'x', '--format', 'lines', '--epochs', '3'])).toEqual({
      kind: 'invalid',
      text: 'unknown option --epochs (did you mean --rnn-epochs?)\nrun with --help for usage (npm run eval:predict -- --help)',
    });
    expect(() => evalCli.parse(['--data', 'x'])).toThrow(/^--format is required/);
  });
});
