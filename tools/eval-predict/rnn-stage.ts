import { loadRnnArtifact, packSessions, trainInWorker, type RnnModel, type TrainStats } from '@foresight/prediction-core';
import { readFileSync, writeFileSync } from 'node:fs';
import type { EvalArgs } from './args';
import type { DenseScorer, Position } from './evaluate';
import { ProgressBar } from './progress';

const log = (msg: string): void => void process.stderr.write(`[eval-predict] ${msg}\n`);

/** The trained RNN and how it was trained. */
export interface RnnStage {
  readonly rnn: RnnModel;
  readonly rnnSeconds: number;
  readonly rnnStats: TrainStats;
  readonly artifactBytes: number;
}

/** Trains the RNN in a worker on `fitPart` (or loads a saved artifact). */
export async function runRnnStage(fitPart: readonly (readonly number[])[], vocabularySize: number, args: EvalArgs): Promise<RnnStage> {
  const { artifact, stats, seconds: rnnSeconds } = args.loadRnn ? loadSaved(args.loadRnn) : await trainRnnInWorker(fitPart, vocabularySize, args);
  if (args.saveRnn) {
    writeFileSync(args.saveRnn, artifact);
    writeFileSync(`${args.saveRnn}.json`, JSON.stringify({ stats, seconds: rnnSeconds }, null, 2));
    log(`saved the RNN artifact to ${args.saveRnn}`);
  }
  const rnn = await loadRnnArtifact(artifact);
  return { rnn, rnnSeconds, rnnStats: stats, artifactBytes: artifact.length };
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
      patience: args.rnnPatience,
      maxSeconds: args.rnnMaxSeconds,
      outputSamples: args.rnnSamples,
      dropout: args.rnnDropout,
      seed: args.seed,
    },
    {
      onLog: log,
      onProgress: (p) => {
        bar.total = p.batches;
        bar.update(
          p.batch,
          `epoch ${p.epoch} (≤ ${p.epochs}) loss ${p.loss.toFixed(4)}${p.validationLoss !== undefined ? ` held out ${p.validationLoss.toFixed(4)}` : ''} lr ${p.learningRate.toPrecision(2)}`,
        );
      },
    },
  );
  const seconds = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  bar.done(`loss ${stats.finalLoss.toFixed(4)}`);
  log(
    `RNN trained on ${sessions.length} sessions in ${seconds.toFixed(1)} s wall (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU in this process incl. the worker), ` +
      `${stats.epochs} epochs (kept ${stats.bestEpoch}, ${stats.stopReason}, held-out loss ${stats.validationLoss.toFixed(4)}), ` +
      `${stats.windowsPerEpoch} windows/epoch of ${stats.windows}, batch ${stats.batchSize}${stats.sampledOutput ? ', sampled softmax' : ''}, backend ${stats.backend}; artifact ${artifact.length} bytes`,
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
