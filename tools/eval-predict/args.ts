import type { DataFormat } from './datasets';

/** Command-line options of the evaluation. */
export interface EvalArgs {
  readonly data: string;
  readonly format: DataFormat;
  readonly maxSessions: number;
  readonly k: number;
  readonly history: number;
  readonly rnnEpochs: number;
  readonly rnnHidden: number;
  readonly rnnMaxWindows: number;
  readonly rnnLearningRate: number;
  readonly rnnBatch: number;
  readonly rnnCell: 'gru' | 'lstm';
  readonly skipRnn: boolean;
  readonly markovVariants: readonly string[];
  readonly rnnHeldOut: number;
  readonly saveRnn: string | null;
  readonly loadRnn: string | null;
  readonly seed: number;
  readonly out: string | null;
}

const USAGE = `usage: npm run eval:predict -- --data <path> --format msnbc|lines|tsv [--max-sessions N]
  [--k 3] [--history T] [--rnn-epochs E] [--rnn-hidden H] [--rnn-cell gru|lstm]
  [--rnn-windows N] [--rnn-lr X] [--rnn-batch B] [--heldout-positions N] [--save-rnn F | --load-rnn F] [--no-rnn] [--markov-variants ppm-c:3,interpolated:4:d0.9,ppm-d:3:noanchor]
  [--seed S] [--out .bench-results/eval-predict-<name>.json]`;

/** Parses `process.argv`-style arguments; throws with the usage text on bad input. */
export function parseArgs(argv: readonly string[]): EvalArgs {
  const m = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"\n${USAGE}`);
    const key = a.slice(2);
    if (key === 'no-rnn' || key === 'help') flags.add(key);
    else if (i + 1 < argv.length) m.set(key, argv[++i]!);
    else throw new Error(`missing value for ${a}\n${USAGE}`);
  }
  if (flags.has('help')) throw new Error(USAGE);
  const data = m.get('data');
  const format = m.get('format') as DataFormat | undefined;
  if (!data || !format || !['msnbc', 'lines', 'tsv'].includes(format)) throw new Error(USAGE);
  const num = (key: string, dflt: number): number => {
    const v = m.has(key) ? Number(m.get(key)) : dflt;
    if (Number.isNaN(v) || v < 0) throw new Error(`--${key} must be a non-negative number\n${USAGE}`);
    return v;
  };
  const cell = m.get('rnn-cell') ?? 'gru';
  if (cell !== 'gru' && cell !== 'lstm') throw new Error(`--rnn-cell must be gru or lstm\n${USAGE}`);
  return {
    data,
    format,
    maxSessions: num('max-sessions', Infinity),
    k: num('k', 3),
    history: num('history', 10),
    rnnEpochs: num('rnn-epochs', 2),
    rnnHidden: num('rnn-hidden', 128),
    rnnMaxWindows: num('rnn-windows', 700_000),
    rnnLearningRate: num('rnn-lr', 0.01),
    rnnBatch: num('rnn-batch', 1024),
    rnnCell: cell,
    skipRnn: flags.has('no-rnn'),
    markovVariants: (m.get('markov-variants') ?? '').split(',').filter((s) => s.length > 0),
    rnnHeldOut: num('heldout-positions', 60_000),
    saveRnn: m.get('save-rnn') ?? null,
    loadRnn: m.get('load-rnn') ?? null,
    seed: num('seed', 42),
    out: m.get('out') ?? null,
  };
}
