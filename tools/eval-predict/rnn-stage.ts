import {
  EnsemblePredictor,
  VariableOrderMarkov,
  bucketOf,
  fitMixingWeights,
  loadRnnArtifact,
  packSessions,
  trainInWorker,
  type MixingWeights,
  type RnnModel,
  type TrainStats,
} from '@foresight/prediction-core';
import { readFileSync, writeFileSync } from 'node:fs';
import type { EvalArgs } from './args';
import { testPositions, type DenseScorer, type Position } from './evaluate';
import { ProgressBar } from './progress';

const log = (msg: string): void => void process.stderr.write(`[eval-predict] ${msg}\n`);

/** Result of training the RNN and fitting the ensemble. */
export interface RnnStage {
  readonly rnn: RnnModel;
  readonly rnnSeconds: number;
  readonly rnnStats: TrainStats;
  readonly artifactBytes: number;
  readonly weights: MixingWeights;
  readonly fitSeconds: number;
  /** Held-out comparison used to choose the default model. */
  readonly heldOut: Readonly<Record<'markov' | 'rnn' | 'ensemble', { hit1: number; nll: number }>>;
  readonly defaultModel: 'markov' | 'ensemble';
}

/**
 * Trains the RNN in a worker on the first 90% of the training sessions, then fits the ensemble's
 * mixing weights on the last 10% (held out from both models), and compares the three models there.
 */
export async function runRnnStage(train: readonly (readonly number[])[], vocabularySize: number, args: EvalArgs): Promise<RnnStage> {
  const cut = Math.floor(train.length * 0.9);
  const fitPart = train.slice(0, cut);
  const heldOut = train.slice(cut);
  const { artifact, stats, seconds: rnnSeconds } = args.loadRnn ? loadSaved(args.loadRnn) : await trainRnnInWorker(fitPart, vocabularySize, args);
  if (args.saveRnn) {
    writeFileSync(args.saveRnn, artifact);
    writeFileSync(`${args.saveRnn}.json`, JSON.stringify({ stats, seconds: rnnSeconds }, null, 2));
    log(`saved the RNN artifact to ${args.saveRnn}`);
  }
  const rnn = await loadRnnArtifact(artifact);

  const t1 = Date.now();
  const markov = new VariableOrderMarkov({ maxOrder: args.k, vocabularySize, maxContexts: 4_000_000 });
  for (const s of fitPart) markov.observeSession(s);
  const positions: Position[] = [];
  for (const p of testPositions(heldOut)) {
    if (positions.length >= args.rnnHeldOut) break;
    positions.push(p);
  }
  const n = positions.length;
  const sample = { markovP: new Float64Array(n), rnnP: new Float64Array(n), bucket: new Int32Array(n) };
  const shape = { lengthBuckets: 6, evidenceBuckets: 8 };
  const dist = new Float64Array(vocabularySize);
  const hits = { markov: 0, rnn: 0 };
  for (let start = 0; start < n; start += 1024) {
    const batch = positions.slice(start, start + 1024);
    const rows = rnn.predictBatch(batch);
    batch.forEach((p, j) => {
      const i = start + j;
      markov.distributionAt(p.seq, p.len, dist);
      sample.markovP[i] = dist[p.target] ?? 0;
      sample.rnnP[i] = p.target < rnn.vocabularySize ? rows[j * rnn.vocabularySize + p.target]! : 0;
      sample.bucket[i] = bucketOf(shape, p.len, markov.evidenceAt(p.seq, p.len).count);
      if (argmax(dist) === p.target) hits.markov++;
      if (argmax(rows.subarray(j * rnn.vocabularySize, (j + 1) * rnn.vocabularySize)) === p.target) hits.rnn++;
    });
  }
  const weights = fitMixingWeights(sample, shape.lengthBuckets, shape.evidenceBuckets);
  const ensemble = new EnsemblePredictor(markov, rnn, weights);
  let ensembleHits = 0;
  let ensembleNll = 0;
  const row = new Float64Array(vocabularySize);
  for (let start = 0; start < n; start += 1024) {
    const batch = positions.slice(start, start + 1024);
    const rows = rnn.predictBatch(batch);
    const out = new Float64Array(batch.length * vocabularySize);
    ensemble.distributionBatch(batch, vocabularySize, out, rows);
    batch.forEach((p, j) => {
      row.set(out.subarray(j * vocabularySize, (j + 1) * vocabularySize));
      if (argmax(row) === p.target) ensembleHits++;
      ensembleNll -= Math.log(Math.max(1e-12, row[p.target]!));
    });
  }
  const nll = (ps: Float64Array): number => ps.reduce((s, p) => s - Math.log(Math.max(1e-12, p)), 0) / Math.max(1, n);
  const heldOutScores = {
    markov: { hit1: hits.markov / n, nll: nll(sample.markovP) },
    rnn: { hit1: hits.rnn / n, nll: nll(sample.rnnP) },
    ensemble: { hit1: ensembleHits / n, nll: ensembleNll / n },
  };
  // The RNN must earn its place: the ensemble becomes the default only if it beats Markov held out.
  const defaultModel = heldOutScores.ensemble.hit1 > heldOutScores.markov.hit1 && heldOutScores.ensemble.nll < heldOutScores.markov.nll ? 'ensemble' : 'markov';
  const fitSeconds = (Date.now() - t1) / 1000;
  log(
    `held out (${n} positions): ${JSON.stringify(heldOutScores)} → default ${defaultModel}; Markov weights ${weights.markovWeight.map((w) => w.toFixed(2)).join(' ')}`,
  );
  return { rnn, rnnSeconds, rnnStats: stats, artifactBytes: artifact.length, weights, fitSeconds, heldOut: heldOutScores, defaultModel };
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

async function trainRnnInWorker(
  sessions: readonly (readonly number[])[],
  vocabularySize: number,
  args: EvalArgs,
): Promise<{ artifact: Buffer; stats: TrainStats; seconds: number }> {
  const bar = new ProgressBar('rnn train', 1);
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const { artifact, stats } = await trainInWorker(
    packSessions(sessions),
    {
      vocabularySize,
      historyLength: args.history,
      hiddenUnits: args.rnnHidden,
      cell: args.rnnCell,
      epochs: args.rnnEpochs,
      batchSize: args.rnnBatch,
      learningRate: args.rnnLearningRate,
      maxWindows: args.rnnMaxWindows,
      seed: args.seed,
    },
    {
      onLog: log,
      onProgress: (p) => {
        bar.total = p.epochs * p.batches;
        bar.update((p.epoch - 1) * p.batches + p.batch, `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)}`);
      },
    },
  );
  const seconds = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  bar.done(`loss ${stats.finalLoss.toFixed(4)}`);
  log(
    `RNN trained on ${sessions.length} sessions in ${seconds.toFixed(1)} s wall (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU in this process incl. the worker), ` +
      `${stats.windowsPerEpoch} windows/epoch of ${stats.windows}, backend ${stats.backend}; artifact ${artifact.length} bytes`,
  );
  return { artifact, stats, seconds };
}

function loadSaved(path: string): { artifact: Buffer; stats: TrainStats; seconds: number } {
  const meta = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as { stats: TrainStats; seconds: number };
  log(`loaded the RNN artifact from ${path} (trained earlier in ${meta.seconds.toFixed(1)} s)`);
  return { artifact: readFileSync(path), ...meta };
}

/** The RNN as a scorer (batched). */
export function rnnScorer(rnn: RnnModel, trainSeconds: number): DenseScorer {
  return {
    name: rnn.name,
    trainSeconds,
    scoreBatch(items: readonly Position[], width: number, out: Float64Array): void {
      const rows = rnn.predictBatch(items);
      const V = rnn.vocabularySize;
      out.fill(0, 0, items.length * width);
      for (let i = 0; i < items.length; i++) {
        for (let a = 0; a < Math.min(V, width); a++) out[i * width + a] = rows[i * V + a]!;
      }
    },
  };
}

/** The ensemble as a scorer, reusing the Markov-K and RNN rows computed in the same chunk. */
export function ensembleScorer(markov: VariableOrderMarkov, rnn: RnnModel, weights: MixingWeights, trainSeconds: number): DenseScorer {
  const ensemble = new EnsemblePredictor(markov, rnn, weights);
  return {
    name: 'ensemble',
    trainSeconds,
    scoreBatch(items, width, out, inputs): void {
      const m = inputs.get(markov.name)!;
      const r = inputs.get(rnn.name)!;
      for (let i = 0; i < items.length; i++) {
        const w = ensemble.markovWeightFor(items[i]!.seq, items[i]!.len);
        const base = i * width;
        for (let a = 0; a < width; a++) out[base + a] = w * m[base + a]! + (1 - w) * r[base + a]!;
      }
    },
  };
}
