import { chaosCli, FAULTS } from './cli';

describe('npm run chaos -- command line', () => {
  it('prints its usage on --help and refuses an unknown fault', () => {
    expect(chaosCli.resolve(['--help'])).toEqual({ kind: 'help', text: chaosCli.usage });
    expect(chaosCli.usage).toMatch(/^usage: npm run chaos -- /);
    expect(() => chaosCli.parse(['--faults', 'shard-kill,disk-full'])).toThrow(/--faults/);
  });

  it('runs every fault three rounds by default, and one short round each with --smoke', () => {
    const defaults = chaosCli.parse([]);
    expect(defaults).toMatchObject({ rounds: 3, writers: 16, readers: 8, seconds: 4, smoke: false, json: '.bench-results/chaos.json' });
    expect(defaults.faults).toEqual([...FAULTS]);
    expect(chaosCli.parse(['--smoke', '--rounds', '5'])).toMatchObject({ rounds: 1, seconds: 2, smoke: true });
    expect(chaosCli.parse(['--faults', 'gateway-kill', '--rounds', '2']).faults).toEqual(['gateway-kill']);
  });
});
