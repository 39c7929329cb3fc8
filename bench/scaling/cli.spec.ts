import { BenchError } from '../store/errors';
import { ascendingUnique, configurationMatrix, parseScalingArgs, scalingCli } from './cli';

function badArgument(argv: string[]): string {
  try {
    parseScalingArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(BenchError);
    expect((err as BenchError).code).toBe('BENCH.BAD_ARGUMENT');
    return (err as BenchError).message;
  }
  throw new Error('expected BENCH.BAD_ARGUMENT');
}

describe('bench:scaling options', () => {
  it('defaults to the 1–3 shard nodes × 1–2 gateways matrix, PUT and GET, pinned when possible', () => {
    expect(parseScalingArgs([])).toEqual({
      shardNodes: [1, 2, 3],
      gateways: [1, 2],
      ops: ['put', 'get'],
      sessions: 500,
      durationS: 10,
      warmupS: 2,
      idleS: 3,
      connections: 64,
      seed: 42,
      pin: 'auto',
      foresightLogLevel: 'warn',
      out: '.bench-results/scaling.json',
    });
  });

  it('reads the matrix in any order, drops repeats and keeps ops in canonical order', () => {
    const o = parseScalingArgs(['--shard-nodes', '3,1,3', '--gateways', '2', '--ops', 'get,put', '--pin', 'off', '--duration', '4']);
    expect(o.shardNodes).toEqual([1, 3]);
    expect(o.gateways).toEqual([2]);
    expect(o.ops).toEqual(['put', 'get']);
    expect(o.pin).toBe('off');
    expect(o.durationS).toBe(4);
  });

  it.each([
    [['--shard-nodes', '0'], '--shard-nodes'],
    [['--shard-nodes', '1,x'], '--shard-nodes'],
    [['--gateways', '9'], '--gateways'],
    [['--gateways', '1.5'], '--gateways'],
    [['--ops', 'delete'], '--ops'],
    [['--pin', 'always'], '--pin'],
    [['--duration', '0'], '--duration'],
    [['--gateways', '1,4', '--connections', '3'], '--connections'],
    [['--frobnicate'], 'frobnicate'],
  ])('refuses %j naming the option', (argv, name) => {
    expect(badArgument(argv)).toContain(name);
  });

  it('exits 2 on a bad option and 0 on --help', () => {
    const io = (codes: number[], out: string[]) => ({
      stdout: (t: string) => void out.push(t),
      stderr: (t: string) => void out.push(t),
      exit: (code: number): never => {
        codes.push(code);
        throw new Error('exit');
      },
    });
    const codes: number[] = [];
    const out: string[] = [];
    expect(() => scalingCli.parseOrExit(['--gateways', '0'], io(codes, out))).toThrow('exit');
    expect(() => scalingCli.parseOrExit(['--help'], io(codes, out))).toThrow('exit');
    expect(codes).toEqual([2, 0]);
    expect(out.join('')).toContain('--shard-nodes');
  });
});

describe('configuration matrix', () => {
  it('is shard-node-major with gateways ascending, so one stack serves every gateway count', () => {
    expect(configurationMatrix([2, 1], [2, 1])).toEqual([
      { shardNodes: 1, gateways: 1 },
      { shardNodes: 1, gateways: 2 },
      { shardNodes: 2, gateways: 1 },
      { shardNodes: 2, gateways: 2 },
    ]);
    expect(configurationMatrix([1, 2, 3], [1, 2])).toHaveLength(6);
  });

  it('sorts and drops repeats', () => {
    expect(ascendingUnique([3, 1, 3, 2])).toEqual([1, 2, 3]);
    expect(ascendingUnique([])).toEqual([]);
  });
});
