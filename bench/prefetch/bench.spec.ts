import { seededRng } from '@foresight/random';
import { nextUseIndex } from './belady';
import { parseBenchArgs, prefetchCli } from './cli';
import { ratios } from './report';
import { replay } from './replay';
import { buildSchedule } from './schedule';
import { buildSystem } from './systems';
import { parseSessions } from './trace';

/** Sessions walking a random sparse Markov chain over `pages` pages (each page has 3 likely successors). */
function syntheticSessions(count: number, pages: number, seed: number): string[][] {
  const rng = seededRng(seed);
  const next = Array.from({ length: pages }, () => [0, 1, 2].map(() => Math.floor(rng() * pages)));
  return Array.from({ length: count }, () => {
    let p = Math.floor(rng() * 5);
    const s = [String(p)];
    const len = 5 + Math.floor(rng() * 20);
    while (s.length < len) {
      const r = rng();
      p = r < 0.6 ? next[p]![0]! : r < 0.85 ? next[p]![1]! : r < 0.95 ? next[p]![2]! : Math.floor(rng() * pages);
      s.push(String(p));
    }
    return s;
  });
}

describe('bench:prefetch helpers', () => {
  it('parses one-session-per-line, MSNBC and tsv traces', () => {
    expect(parseSessions('1 2 3\n\n4 5\n', 'lines')).toEqual([
      ['1', '2', '3'],
      ['4', '5'],
    ]);
    expect(parseSessions('% header\nfrontpage news\n1 1 2\n', 'msnbc')).toEqual([['1', '1', '2']]);
    expect(parseSessions('session item time\na 1 0\na 2 1\nb 3 0\n', 'tsv')).toEqual([['1', '2'], ['3']]);
  });

  it('schedules sessions back to back with concurrency 1, interleaved otherwise, each request once in time order', () => {
    const sessions = [['a', 'b'], ['c'], ['d', 'e', 'f']];
    const one = buildSchedule(sessions, 1, 100, 2, 1);
    expect(Array.from(one.session)).toEqual([0, 0, 1, 2, 2, 2]);
    expect(Array.from(one.measured)).toEqual([0, 0, 0, 1, 1, 1]);
    const many = buildSchedule(sessions, 3, 100, 2, 1);
    expect(many.length).toBe(6);
    const seen = new Map<number, number[]>();
    for (let j = 0; j < many.length; j++) {
      if (j > 0) expect(many.time[j]!).toBeGreaterThanOrEqual(many.time[j - 1]!);
      seen.set(many.session[j]!, [...(seen.get(many.session[j]!) ?? []), many.position[j]!]);
    }
    expect(seen).toEqual(
      new Map(
        [
          [0, [0, 1]],
          [1, [0]],
          [2, [0, 1, 2]],
        ].sort((x, y) => Number(x[0]) - Number(y[0])) as [number, number[]][],
      ),
    );
    expect(Array.from(many.session)).not.toEqual(Array.from(one.session));
  });

  it('finds the next use of each key', () => {
    expect(Array.from(nextUseIndex(['a', 'b', 'a', 'c', 'b']))).toEqual([2, 4, Infinity, Infinity, Infinity]);
  });

  it('rejects bad arguments', () => {
    expect(() => parseBenchArgs([])).toThrow(/--data is required/);
    expect(() => parseBenchArgs(['--data', 'x', '--policies', 'lru,nope'])).toThrow(/--policies must list only .* \(unknown nope\)/);
    expect(() => parseBenchArgs(['--data', 'x', '--model', 'gru'])).toThrow(/--model/);
    expect(parseBenchArgs(['--data', 'x']).victimMeasure).toBe('shadow');
    expect(parseBenchArgs(['--data', 'x', '--victims', 'own']).victimMeasure).toBe('own');
    expect(parseBenchArgs(['--data', 'x', '--victims', 'prefetch']).victimMeasure).toBe('prefetch');
    expect(parseBenchArgs(['--data', 'x']).judge).toBe('all');
    expect(parseBenchArgs(['--data', 'x', '--judge', 'marginal']).judge).toBe('marginal');
    expect(() => parseBenchArgs(['--data', 'x', '--victims', 'lru'])).toThrow(/--victims/);
    expect(parseBenchArgs(['--data', 'x', '--capacities', '1,5']).capacities).toEqual([1, 5]);
  });

  it('prints its usage on --help and refuses unknown options', () => {
    expect(prefetchCli.resolve(['--help'])).toEqual({ kind: 'help', text: prefetchCli.usage });
    expect(prefetchCli.usage).toMatch(/^usage: npm run bench:prefetch -- --data <path> \[options\]\n/);
    expect(prefetchCli.resolve(['--data', 'x', '--capacity', '5'])).toEqual({
      kind: 'invalid',
      text: 'unknown option --capacity (did you mean --capacities?)\nrun with --help for usage (npm run bench:prefetch -- --help)',
    });
  });

  it('replays a synthetic trace: MIN beats LRU, prediction beats LRU, perfect prefetch is near the ceiling', async () => {
    const sessions = syntheticSessions(150, 120, 5);
    const args = parseBenchArgs(['--data', 'synthetic']);
    const schedule = buildSchedule(sessions, 4, 1000, 100, 2);
    const keys = Array.from({ length: schedule.length }, (_, j) => sessions[schedule.session[j]!]![schedule.position[j]!]!);
    const settings = { capacityEntries: 12, latencyMs: 20, thinkMs: 1000, prefetchConcurrency: 8 };
    const hit = async (name: Parameters<typeof buildSystem>[0]) =>
      ratios(await replay(sessions, schedule, buildSystem(name, args), settings, nextUseIndex(keys)));
    const lru = await hit('lru');
    const belady = await hit('belady');
    const markov = await hit('lru+markov-top3');
    const foresight = await hit('foresight');
    const perfect = await hit('perfect-prefetch');
    if (process.env.DEBUG_BENCH) console.log({ lru, belady, markov, foresight, perfect });
    expect(belady.hitRatio).toBeGreaterThan(lru.hitRatio);
    expect(belady.fetchesPerRequest).toBeLessThan(lru.fetchesPerRequest);
    expect(markov.hitRatio).toBeGreaterThan(lru.hitRatio + 0.1);
    expect(foresight.hitRatio).toBeGreaterThan(lru.hitRatio + 0.2);
    // Budgeted prefetching: fewer origin fetches than the unbudgeted top-3 baseline.
    expect(foresight.fetchesPerRequest).toBeLessThan(markov.fetchesPerRequest);
    expect(perfect.hitRatio).toBeGreaterThan(0.8);
    expect(lru.prefetchesPerRequest).toBe(0);
  }, 60_000);
});
