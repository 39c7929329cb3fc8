import { evalCli } from './args';

describe('eval:predict arguments', () => {
  it('keeps the documented defaults', () => {
    expect(evalCli.parse(['--data', 'x', '--format', 'lines'])).toEqual({
      data: 'x',
      test: null,
      format: 'lines',
      maxSessions: Number.POSITIVE_INFINITY,
      k: 0,
      history: 10,
      rnnEpochs: 20,
      rnnPatience: 2,
      rnnMaxSeconds: 1200,
      rnnHidden: 128,
      rnnMaxWindows: 700_000,
      rnnLearningRate: 0.01,
      rnnBatch: 0,
      rnnCell: 'gru',
      rnnSamples: 2048,
      rnnDropout: 0.3,
      skipRnn: false,
      skipKnn: false,
      knnNeighbours: 100,
      knnPostings: 500,
      knnWindow: 20,
      markovVariants: [],
      rnnHeldOut: 60_000,
      saveRnn: null,
      loadRnn: null,
      seed: 42,
      out: null,
    });
    expect(evalCli.parse(['--data', 'x', '--test', 'y', '--format', 'lines'])).toMatchObject({ data: 'x', test: 'y' });
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
