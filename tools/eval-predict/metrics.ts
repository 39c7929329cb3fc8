/** Cut-offs reported for Hit@k. */
const HIT_CUTOFFS = [1, 3, 5, 10, 20] as const;
/** Cut-offs reported for MRR@k. */
const MRR_CUTOFFS = [5, 20] as const;

/** Summary of one model over the test positions. */
export interface ModelScores {
  readonly model: string;
  readonly predictions: number;
  readonly hit: Readonly<Record<string, number>>;
  readonly mrr: Readonly<Record<string, number>>;
  /** Mean negative log-likelihood (nats) of the true next action: calibration, lower is better. */
  readonly nll: number;
  readonly trainSeconds: number;
  readonly inferenceSeconds: number;
  /** Inference cost per prediction, in microseconds. */
  readonly microsPerPrediction: number;
}

/** Accumulates ranks of the true next action. */
export class RankAccumulator {
  private readonly hits = new Float64Array(HIT_CUTOFFS.length);
  private readonly rr = new Float64Array(MRR_CUTOFFS.length);
  private logLoss = 0;
  count = 0;
  inferenceSeconds = 0;

  constructor(
    readonly model: string,
    public trainSeconds = 0,
  ) {}

  /** Records one prediction whose true action had 1-based `rank` and probability `p`. */
  add(rank: number, p: number): void {
    this.count++;
    for (let i = 0; i < HIT_CUTOFFS.length; i++) if (rank <= HIT_CUTOFFS[i]!) this.hits[i]!++;
    for (let i = 0; i < MRR_CUTOFFS.length; i++) if (rank <= MRR_CUTOFFS[i]!) this.rr[i]! += 1 / rank;
    this.logLoss -= Math.log(Math.max(p, 1e-12));
  }

  summary(): ModelScores {
    const n = Math.max(1, this.count);
    const hit: Record<string, number> = {};
    const mrr: Record<string, number> = {};
    HIT_CUTOFFS.forEach((k, i) => (hit[`@${k}`] = round(this.hits[i]! / n)));
    MRR_CUTOFFS.forEach((k, i) => (mrr[`@${k}`] = round(this.rr[i]! / n)));
    return {
      model: this.model,
      predictions: this.count,
      hit,
      mrr,
      nll: round(this.logLoss / n),
      trainSeconds: round(this.trainSeconds, 2),
      inferenceSeconds: round(this.inferenceSeconds, 2),
      microsPerPrediction: round((this.inferenceSeconds * 1e6) / n, 2),
    };
  }
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Fixed-width text table of the scores; the `chosen` model's row is marked with `*`. */
export function formatTable(rows: readonly ModelScores[], chosen?: string): string {
  const head = ['model', ...HIT_CUTOFFS.map((k) => `Hit@${k}`), ...MRR_CUTOFFS.map((k) => `MRR@${k}`), 'NLL', 'train s', 'µs/pred'];
  const body = rows.map((r) => [
    r.model === chosen ? `* ${r.model}` : r.model,
    ...HIT_CUTOFFS.map((k) => r.hit[`@${k}`]!.toFixed(4)),
    ...MRR_CUTOFFS.map((k) => r.mrr[`@${k}`]!.toFixed(4)),
    r.nll.toFixed(3),
    r.trainSeconds.toFixed(1),
    r.microsPerPrediction.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
