import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliUsageError, defineCommand, type CliIo, type Command } from './index';

const demo = defineCommand({
  run: 'npm run demo --',
  summary: 'Replays a trace through a cache and prints the hit ratio.',
  options: {
    data: { type: 'string', required: true, description: 'the trace to replay', file: 'a trace file such as /data/trace.dat' },
    format: { type: 'string', choices: ['lines', 'tsv'], default: 'lines', description: 'trace format' },
    'latency-ms': { type: 'number', min: 0, default: 20, description: 'origin latency' },
    connections: { type: 'integer', min: 1, default: 64, description: 'concurrent connections' },
    share: { type: 'number', min: 0, max: 1, default: 0.8, description: 'training share' },
    'max-sessions': { type: 'integer', min: 1, default: Number.POSITIVE_INFINITY, description: 'read only the first N sessions' },
    seed: { type: 'integer', description: 'random seed' },
    capacities: { type: 'list', item: 'number', min: 0.001, max: 100, default: [1, 5], description: 'cache sizes, % of keys' },
    systems: { type: 'list', choices: ['redis', 'postgres'], default: ['redis', 'postgres'], description: 'systems to compare' },
    tags: { type: 'list', description: 'free-form tags' },
    var: {
      type: 'string',
      default: 'cart/items',
      description: 'the variable',
      check: (v) => (/^[^/]+\/[^/]+$/.test(v) ? undefined : 'look like <group>/<name>'),
    },
    'no-rnn': { type: 'boolean', description: 'skip the RNN' },
  },
  examples: ['npm run demo -- --data /data/trace.dat --capacities 1,5,10'],
});

/** Runs `parseOrExit` with captured output; `exit` throws so the call stops where the process would. */
function run<T>(command: Command<T>, argv: string[]): { code: number | null; stdout: string; stderr: string; value?: T } {
  const out = { code: null as number | null, stdout: '', stderr: '' };
  class Exit extends Error {}
  const io: CliIo = {
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    exit: (code) => {
      out.code = code;
      throw new Exit();
    },
  };
  try {
    return { ...out, value: command.parseOrExit(argv, io) };
  } catch (err) {
    if (err instanceof Exit) return out;
    throw err;
  }
}

function problem(argv: string[]): string {
  try {
    demo.parse(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(CliUsageError);
    return (err as Error).message;
  }
  throw new Error(`expected ${argv.join(' ')} to be refused`);
}

describe('defineCommand', () => {
  it('gives typed values under camel-cased names, with the defaults', () => {
    const v = demo.parse(['--data', 'x']);
    expect(v).toEqual({
      data: 'x',
      format: 'lines',
      latencyMs: 20,
      connections: 64,
      share: 0.8,
      maxSessions: Number.POSITIVE_INFINITY,
      seed: undefined,
      capacities: [1, 5],
      systems: ['redis', 'postgres'],
      tags: [],
      var: 'cart/items',
      noRnn: false,
    });
    // The types follow the spec: choices become unions, options without a default may be undefined.
    const format: 'lines' | 'tsv' = v.format;
    const latency: number = v.latencyMs;
    const capacities: readonly number[] = v.capacities;
    const systems: readonly ('redis' | 'postgres')[] = v.systems;
    const noRnn: boolean = v.noRnn;
    // @ts-expect-error --seed has no default
    const seed: number = v.seed;
    expect([format, latency, capacities, systems, noRnn, seed]).toHaveLength(6);
  });

  it('reads every type of value', () => {
    const v = demo.parse([
      '--data',
      'x',
      '--format',
      'TSV',
      '--latency-ms',
      '2.5',
      '--connections=8',
      '--share',
      '1',
      '--seed',
      '7',
      '--capacities',
      '0.5, 10',
      '--systems',
      'Postgres',
      '--tags',
      'a,,b',
      '--var',
      'cart/coupon',
      '--no-rnn',
    ]);
    expect(v).toMatchObject({
      format: 'tsv',
      latencyMs: 2.5,
      connections: 8,
      share: 1,
      seed: 7,
      capacities: [0.5, 10],
      systems: ['postgres'],
      tags: ['a', 'b'],
      var: 'cart/coupon',
      noRnn: true,
    });
  });

  it('names the option and what is expected, then how to get the usage', () => {
    const cases: [string[], string][] = [
      [['--data', 'x', '--conections', '2'], 'unknown option --conections (did you mean --connections?)'],
      [['--data', 'x', '--bogus'], 'unknown option --bogus'],
      [['--data'], '--data needs <path> (the trace to replay)'],
      [['--data', '--format', 'lines'], '--data needs <path> (the trace to replay); to pass a value that starts with "-", write --data=<value>'],
      [['--data', 'x', '--no-rnn=yes'], '--no-rnn is a switch and takes no value'],
      [['--data', 'x', 'extra'], 'unexpected argument "extra"'],
      [[], '--data is required: the trace to replay'],
      [['--data', ''], '--data needs a non-empty value'],
      [['--data', 'x', '--format', 'csv'], '--format must be one of lines, tsv (got "csv")'],
      [['--data', 'x', '--latency-ms', 'soon'], '--latency-ms must be a number ≥ 0 (got "soon")'],
      [['--data', 'x', '--latency-ms', ''], '--latency-ms must be a number ≥ 0 (got "")'],
      [['--data', 'x', '--connections', '2.5'], '--connections must be a positive integer (got "2.5")'],
      [['--data', 'x', '--share', '1.5'], '--share must be a number from 0 to 1 (got "1.5")'],
      [['--data', 'x', '--capacities', '1,200'], '--capacities must be comma-separated numbers from 0.001 to 100 (got "1,200")'],
      [['--data', 'x', '--systems', 'redis,memcached'], '--systems must list only redis, postgres, comma-separated (unknown memcached)'],
      [['--data', 'x', '--systems', ','], '--systems must name at least one of redis, postgres'],
      [['--data', 'x', '--var', 'items'], '--var must look like <group>/<name> (got "items")'],
    ];
    for (const [argv, expected] of cases) {
      const lines = problem(argv).split('\n');
      expect(lines[0]).toContain(expected);
      expect(lines).toEqual([lines[0], 'run with --help for usage (npm run demo -- --help)']);
    }
  });

  it('lists every bad value at once', () => {
    const message = problem(['--data', 'x', '--connections', '0', '--format', 'csv']);
    expect(message.split('\n')).toEqual([
      expect.stringContaining('--format must be one of'),
      expect.stringContaining('--connections must be a positive integer'),
      'run with --help for usage (npm run demo -- --help)',
    ]);
  });

  it('prints the usage on --help or -h and exits 0, even next to bad options', () => {
    for (const argv of [['--help'], ['-h'], ['--bogus', '--help']]) {
      const r = run(demo, argv);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toBe(`${demo.usage}\n`);
    }
    expect(demo.wantsHelp(['--', '--help'])).toBe(false);
  });

  it('documents what the command does, every option with its default, and an example', () => {
    const u = demo.usage;
    expect(u.split('\n')[0]).toBe('usage: npm run demo -- --data <path> [options]');
    expect(u).toContain('Replays a trace through a cache and prints the hit ratio.');
    expect(u).toMatch(/--data <path> +the trace to replay \(required\)/);
    expect(u).toMatch(/--format lines\|tsv +trace format \(default lines\)/);
    expect(u).toMatch(/--latency-ms <x> +origin latency \(default 20\)/);
    expect(u).toMatch(/--max-sessions <n> +read only the first N sessions \(default all\)/);
    expect(u).toMatch(/--capacities <n,n,...> +cache sizes, % of keys \(default 1,5\)/);
    expect(u).toMatch(/--systems <a,b,...> +systems to compare; any of redis, postgres \(default redis,postgres\)/);
    expect(u).toMatch(/--no-rnn +skip the RNN\n/);
    expect(u).toMatch(/-h, --help +print this help and exit/);
    expect(u).toMatch(/Example:\n {2}npm run demo -- --data \/data\/trace.dat --capacities 1,5,10$/);
    expect(Math.max(...u.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });

  it('refuses bad input on stderr with exit code 2 and no stack trace', () => {
    const r = run(demo, ['--data', 'x', '--bogus']);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('unknown option --bogus\nrun with --help for usage (npm run demo -- --help)\n');
  });

  it('says what to pass when an input file is missing or a directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-spec-'));
    const missing = run(demo, ['--data', join(dir, 'nope.dat')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--data ${join(dir, 'nope.dat')}: no such file. Pass a trace file such as /data/trace.dat.`);
    const directory = run(demo, ['--data', dir]);
    expect(directory.stderr).toContain(`--data ${dir} is not a file but a directory. Pass the file itself: a trace file such as /data/trace.dat.`);
    const file = join(dir, 'trace.dat');
    writeFileSync(file, '1 2 3\n');
    expect(run(demo, ['--data', file])).toMatchObject({ code: null, value: { data: file } });
  });

  it('builds the arguments, and a failed cross-option check reads like any other problem', () => {
    const withBuild = defineCommand({
      run: 'npm run pair --',
      summary: 'Needs both or neither.',
      options: {
        url: { type: 'string', description: 'server URL' },
        'api-key': { type: 'string', description: 'API key' },
      },
      examples: ['npm run pair -- --url http://h --api-key k'],
      build: (v, fail) => {
        if (v.url !== undefined && v.apiKey === undefined) fail('--url needs --api-key');
        return { target: v.url ?? 'local' };
      },
    });
    expect(withBuild.parse([]).target).toBe('local');
    expect(run(withBuild, ['--url', 'http://h'])).toMatchObject({
      code: 2,
      stderr: '--url needs --api-key\nrun with --help for usage (npm run pair -- --help)\n',
    });
  });

  it('does not let a command redefine --help', () => {
    expect(() => defineCommand({ run: 'x', summary: 'x', options: { help: { type: 'boolean', description: 'x' } }, examples: ['x'] })).toThrow(/--help/);
  });
});
