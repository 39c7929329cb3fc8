import { MostPopularPredictor, VariableOrderMarkov, createFirstOrderMarkov, type Smoothing } from '@foresight/prediction-core';
import type { DenseScorer, Position } from './evaluate';

/** Wraps a trained Markov-family model as a {@link DenseScorer}. */
function markovScorer(model: VariableOrderMarkov, trainSeconds: number): DenseScorer {
  return {
    name: model.name,
    trainSeconds,
    scoreBatch(items: readonly Position[], width: number, out: Float64Array): void {
      for (let i = 0; i < items.length; i++) {
        const it = items[i]!;
        model.distributionAt(it.seq, it.len, out.subarray(i * width, (i + 1) * width));
      }
    },
  };
}

/** Popularity baseline as a {@link DenseScorer}. */
function popularityScorer(model: MostPopularPredictor, trainSeconds: number): DenseScorer {
  return {
    name: model.name,
    trainSeconds,
    scoreBatch(items: readonly Position[], width: number, out: Float64Array): void {
      for (let i = 0; i < items.length; i++) model.distribution(items[i]!.seq, out.subarray(i * width, (i + 1) * width));
    },
  };
}

/** Trains a model on sessions and reports the time taken. */
function timed<T extends { observeSession(s: readonly number[]): void }>(model: T, sessions: readonly (readonly number[])[]): [T, number] {
  const t0 = process.hrtime.bigint();
  for (const s of sessions) model.observeSession(s);
  return [model, Number(process.hrtime.bigint() - t0) / 1e9];
}

/** Builds the Markov models to compare: popularity, Markov-1, Markov-K and any extra variants. */
export function trainMarkovFamily(
  train: readonly (readonly number[])[],
  vocabularySize: number,
  k: number,
  variants: readonly string[],
): { scorers: DenseScorer[]; markovK: VariableOrderMarkov } {
  const [pop, popT] = timed(new MostPopularPredictor(vocabularySize), train);
  const [m1, m1T] = timed(createFirstOrderMarkov({ vocabularySize }), train);
  const [mk, mkT] = timed(new VariableOrderMarkov({ maxOrder: k, vocabularySize, maxContexts: 4_000_000, name: `markov-${k}-interpolated` }), train);
  const scorers = [popularityScorer(pop, popT), markovScorer(m1, m1T), markovScorer(mk, mkT)];
  for (const v of variants) {
    // smoothing:order[:noanchor][:d<discount>], e.g. interpolated:4:d0.9
    const [smoothing, order, ...flags] = v.split(':');
    const maxOrder = Number(order ?? k);
    const anchor = !flags.includes('noanchor');
    const d = flags.find((f) => f.startsWith('d'));
    const name = `${smoothing}-${maxOrder}${anchor ? '' : '-noanchor'}${d ? `-${d}` : ''}`;
    const [m, t] = timed(
      new VariableOrderMarkov({
        maxOrder,
        smoothing: smoothing as Smoothing,
        anchorSessionStart: anchor,
        discount: d ? Number(d.slice(1)) : undefined,
        vocabularySize,
        maxContexts: 4_000_000,
        name,
      }),
      train,
    );
    scorers.push(markovScorer(m, t));
  }
  return { scorers, markovK: mk };
}
