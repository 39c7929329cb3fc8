import type { HistoryRef } from '../rnn/rnn-model';
import { ComponentRows, MIXTURE_SHAPE, type MixtureParts } from './component-rows';
import { fitMixture } from './fit-mixture';
import { bucketOf } from './mixing';
import { RankSample } from './fit-rank';
import { mixtureName, type ComponentName, type MixtureWeights } from './mixture';

/** One held-out position: the next action after `seq[0..len)` is `target`. */
export interface TargetPosition extends HistoryRef {
  readonly seq: ArrayLike<number>;
  readonly len: number;
  readonly target: number;
  /** The session's user, when known (a per-user Markov blend reads it). */
  readonly userId?: string | null;
}

/** Ranking and calibration of one model on held-out positions. */
export interface HeldOutScores {
  readonly positions: number;
  readonly hit1: number;
  readonly hit3: number;
  readonly hit5: number;
  readonly hit10: number;
  readonly hit20: number;
  readonly mrr20: number;
  /** Mean negative log-likelihood of the true next action (nats). */
  readonly nll: number;
}

/** One mixture compared on held-out positions. */
export interface CandidateResult {
  readonly name: string;
  /** How its weights were fitted: held-out log-likelihood, or held-out MRR@20 (a grid search). */
  readonly fit: 'likelihood' | 'rank';
  readonly weights: MixtureWeights;
  readonly scores: HeldOutScores;
}

/** Outcome of {@link selectMixture}: every candidate's scores and the winner. */
export interface MixtureSelection {
  readonly candidates: readonly CandidateResult[];
  /** The winner, with the weights and scores of the comparison. */
  readonly chosen: CandidateResult;
  /** The winner's weights fitted again, the same way, on every held-out position: the model to use. */
  readonly weights: MixtureWeights;
  readonly fitPositions: number;
  readonly testPositions: number;
}

/** Options of {@link selectMixture}. */
export interface SelectOptions {
  /** Awaited between chunks, so a serving process keeps answering (default: none). */
  readonly pause?: () => Promise<void>;
  /** Positions per batched step (default 256). */
  readonly chunk?: number;
  readonly onProgress?: (stage: 'fit' | 'compare', done: number, total: number) => void;
}

/**
 * Fits mixtures of the available components on `fit` positions and compares them on `test`
 * positions: Markov alone, Markov + kNN, Markov + RNN and all three (those whose parts exist).
 * The winner has the highest MRR@20 (ranking quality over the first 20 places); a richer
 * mixture must beat a simpler one strictly, so ties keep the simpler model. Its weights are then
 * fitted again on both halves (`weights`), the model to use.
 */
export async function selectMixture(
  parts: MixtureParts,
  fit: readonly TargetPosition[],
  test: readonly TargetPosition[],
  width: number,
  options: SelectOptions = {},
): Promise<MixtureSelection> {
  const rows = new ComponentRows(parts, width);
  const all = rows.available;
  const chunk = options.chunk ?? 256;
  const pause = options.pause ?? (async () => undefined);
  const C = all.length;
  const n = fit.length;
  const total = n + test.length;
  // Evidence of every position (fit first, then compare): the weights are fitted on the fit
  // positions; once the comparison has chosen, the winner is fitted again on all of them.
  const ranks = new RankSample(C);
  const sample = {
    p: all.map(() => new Float64Array(total)),
    sessionMass: all.map(() => new Float64Array(total)),
    repeat: new Uint8Array(total),
    bucket: new Int32Array(total),
  };
  const record = (i: number, pos: TargetPosition): void => {
    for (let c = 0; c < C; c++) {
      sample.p[c]![i] = rows.rows[all[c]!][pos.target] ?? 0;
      sample.sessionMass[c]![i] = rows.sessionMass(pos.seq, pos.len, all[c]!);
    }
    sample.repeat[i] = inHistory(pos) ? 1 : 0;
    sample.bucket[i] = rows.bucket(MIXTURE_SHAPE, pos.seq, pos.len);
    if (C > 1)
      ranks.add(
        all.map((c) => rows.rows[c]),
        pos.seq,
        pos.len,
        pos.target,
        all.map((_, c) => sample.sessionMass[c]![i]!),
      );
  };
  for (let from = 0; from < n; from += chunk) {
    const batch = fit.slice(from, from + chunk);
    rows.prepare(batch);
    batch.forEach((pos, j) => {
      rows.fill(j, pos.seq, pos.len, all, -1, pos.userId ?? null);
      record(from + j, pos);
    });
    options.onProgress?.('fit', Math.min(n, from + chunk), n);
    await pause();
  }
  const fitAll = (set: readonly ComponentName[], how: CandidateResult['fit'], upTo: number): MixtureWeights => {
    const idx = set.map((c) => all.indexOf(c));
    const sub = {
      p: idx.map((c) => sample.p[c]!.subarray(0, upTo)),
      sessionMass: idx.map((c) => sample.sessionMass[c]!.subarray(0, upTo)),
      repeat: sample.repeat.subarray(0, upTo),
      bucket: sample.bucket.subarray(0, upTo),
    };
    const likelihood = fitMixture(sub, set, MIXTURE_SHAPE.lengthBuckets, MIXTURE_SHAPE.evidenceBuckets);
    return how === 'likelihood' ? likelihood : ranks.fit(set, idx, likelihood.repeat, MIXTURE_SHAPE.lengthBuckets, 0.05, 200, upTo);
  };
  // Likelihood rewards calibration everywhere; ranking cares about the top of the list. Both
  // fits are candidates, and the comparison below keeps the one that ranks better.
  const fits: { weights: MixtureWeights; fit: CandidateResult['fit'] }[] = [];
  for (const set of candidateSets(all)) {
    fits.push({ weights: fitAll(set, 'likelihood', n), fit: 'likelihood' });
    if (set.length > 1 && n > 0) fits.push({ weights: fitAll(set, 'rank', n), fit: 'rank' });
    await pause();
  }
  const full = fits.filter((f) => f.fit === 'likelihood').at(-1)!.weights;
  const weights = fits.map((f) => f.weights);
  // The repeat factor of a component is fitted on that component alone, so every subset shares it.
  const stats = weights.map(() => new RankStats());
  const mixed = new Float64Array(width);
  for (let from = 0; from < test.length; from += chunk) {
    const batch = test.slice(from, from + chunk);
    rows.prepare(batch);
    batch.forEach((pos, j) => {
      rows.fill(j, pos.seq, pos.len, all, -1, pos.userId ?? null);
      record(n + from + j, pos);
      rows.applyRepeat(full, pos.seq, pos.len);
      const evidence = parts.markov.evidenceAt(pos.seq, pos.len).count;
      weights.forEach((w, k) => {
        rows.mix(w, bucketOf(w, pos.len, evidence), mixed);
        stats[k]!.add(mixed, pos.target);
      });
    });
    options.onProgress?.('compare', Math.min(test.length, from + chunk), test.length);
    await pause();
  }
  const candidates = weights.map((w, k) => ({ name: mixtureName(w), fit: fits[k]!.fit, weights: w, scores: stats[k]!.scores() }));
  let chosen = candidates[0]!;
  for (const c of candidates.slice(1)) if (c.scores.mrr20 > chosen.scores.mrr20) chosen = c;
  const final = chosen.weights.components.length > 1 ? fitAll(chosen.weights.components, chosen.fit, total) : chosen.weights;
  return { candidates, chosen, weights: final, fitPositions: n, testPositions: test.length };
}

/** Markov alone, then each richer mixture the parts allow. */
function candidateSets(all: readonly ComponentName[]): ComponentName[][] {
  const sets: ComponentName[][] = [['markov']];
  if (all.includes('knn')) sets.push(['markov', 'knn']);
  if (all.includes('rnn')) sets.push(['markov', 'rnn']);
  if (all.includes('knn') && all.includes('rnn')) sets.push(['markov', 'knn', 'rnn']);
  return sets;
}

function inHistory(pos: TargetPosition): boolean {
  for (let i = 0; i < pos.len; i++) if (pos.seq[i] === pos.target) return true;
  return false;
}

/** 1-based rank of `target` (ties: lower index first), or `cap` once `cap − 1` actions rank before it. */
export function rankWithin(dist: Float64Array, target: number, cap: number): number {
  const pt = dist[target] ?? 0;
  let rank = 1;
  for (let a = 0; a < target; a++) if (dist[a]! >= pt && ++rank >= cap) return cap;
  for (let a = target + 1; a < dist.length; a++) if (dist[a]! > pt && ++rank >= cap) return cap;
  return rank;
}

/** Accumulates ranks and log-loss of the true next action over dense distributions. */
export class RankStats {
  private n = 0;
  private readonly hits = [0, 0, 0, 0, 0];
  private rr = 0;
  private nll = 0;

  add(dist: Float64Array, target: number): void {
    const rank = rankWithin(dist, target, 21);
    this.n++;
    [1, 3, 5, 10, 20].forEach((k, i) => {
      if (rank <= k) this.hits[i]!++;
    });
    if (rank <= 20) this.rr += 1 / rank;
    this.nll -= Math.log(Math.max(1e-12, dist[target] ?? 0));
  }

  scores(): HeldOutScores {
    const d = Math.max(1, this.n);
    const r = (x: number): number => Math.round((x / d) * 1e4) / 1e4;
    const [h1, h3, h5, h10, h20] = this.hits;
    return { positions: this.n, hit1: r(h1!), hit3: r(h3!), hit5: r(h5!), hit10: r(h10!), hit20: r(h20!), mrr20: r(this.rr), nll: r(this.nll) };
  }
}
