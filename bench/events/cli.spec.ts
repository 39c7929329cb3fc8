import { eventsCli } from './cli';

describe('npm run bench:events -- command line', () => {
  it('prints its usage on --help, takes its options and refuses unknown ones', () => {
    expect(eventsCli.resolve(['--help'])).toEqual({ kind: 'help', text: eventsCli.usage });
    expect(eventsCli.usage).toMatch(/^usage: npm run bench:events -- /);
    expect(
      eventsCli.resolve(['--events', '5000', '--rounds', '2', '--max-in-flight', '32', '--rate', '0', '--duration', '0', '--warmup', '1', '--seed', '7']),
    ).toMatchObject({
      kind: 'ok',
      value: { events: 5000, rounds: 2, maxInFlight: 32, rate: 0, duration: 0, warmup: 1, seed: 7 },
    });
    expect(eventsCli.resolve(['--rounds', '0'])).toMatchObject({ kind: 'invalid' });
    expect(eventsCli.resolve(['--nope'])).toMatchObject({ kind: 'invalid' });
  });
});
