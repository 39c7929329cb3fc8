import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Vocabulary, type ComponentName, type SessionKnnPredictor } from '@foresight/prediction-core';
import { evalCli, type EvalArgs } from './args';
import { loadSessions } from './datasets';
import { countPositions, evaluate, type DenseScorer } from './evaluate';
import { mixtureScorer, runEnsembleStage } from './ensemble-stage';
import { knnScorer, trainKnn } from './knn-scorers';
import { chooseMarkovOrder } from './markov-order';
import { trainMarkovFamily } from './markov-scorers';
import { formatTable } from './metrics';
import { rnnScorer, runRnnStage, type RnnStage } from './rnn-stage';

const log = (msg: string): void => void process.stderr.write(`[eval-predict] ${msg}\n`);

type Sessions = readonly (readonly number[])[];

/** Train and test sessions: `--test` given, or the 80/20 cut of `--data` by file order. */
function split(args: EvalArgs, vocab: Vocabulary): { train: Sessions; test: Sessions; protocol: string } {
  const data = loadSessions(args.data, args.format, args.maxSessions).map((s) => vocab.encodeAll(s));
  if (args.test !== null) {
    const test = loadSessions(args.test, args.format, Number.POSITIVE_INFINITY, '--test').map((s) => vocab.encodeAll(s));
    return { train: data, test, protocol: `train ${basename(args.data)} → test ${basename(args.test)}` };
  }
  const cut = Math.floor(data.length * 0.8);
  return { train: data.slice(0, cut), test: data.slice(cut), protocol: '80/20 by file order' };
}

async function main(): Promise<void> {
  const args = evalCli.parseOrExit(process.argv.slice(2));
  const t0 = Date.now();
  const vocab = new Vocabulary({ maxSize: 1 << 22 });
  const { train, test, protocol } = split(args, vocab);
  const width = vocab.size;
  log(
    `${train.length} train and ${test.length} test sessions (${protocol}), ${width} actions incl. <unk>, ` +
      `${countPositions(test)} test positions; loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  // Every model the test sees is trained on all of the training sessions, except the RNN: it and
  // the held-out comparison use the first 90 %, the last 10 % fits and picks the ensemble.
  const cut = Math.floor(train.length * 0.9);
  const fitPart = train.slice(0, cut);
  const heldOut = train.slice(cut);
  const order = args.k > 0 ? { order: args.k, scores: null } : chooseMarkovOrder(fitPart, heldOut, width, args.rnnHeldOut);
  const { scorers: markov, markovK } = trainMarkovFamily(train, width, order.order, args.markovVariants);
  const markovSeconds = markov.find((s) => s.name === markovK.name)!.trainSeconds;
  const scorers: DenseScorer[] = [...markov];
  const rowNames: Partial<Record<ComponentName, string>> = { markov: markovK.name };
  let knnSeconds = 0;
  let knn: SessionKnnPredictor | null = null;
  if (!args.skipKnn) {
    [knn, knnSeconds] = trainKnn(train, markovK, args);
    rowNames.knn = 'sknn';
    log(`session-kNN indexed ${knn.index.sessions} sessions in ${knnSeconds.toFixed(1)} s`);
  }
  let rnnStage: RnnStage | null = null;
  if (!args.skipRnn) {
    rnnStage = await runRnnStage(fitPart, width, args);
    scorers.push(rnnScorer(rnnStage.rnn, rnnStage.rnnSeconds));
    rowNames.rnn = rnnStage.rnn.name;
  }
  const stage = await runEnsembleStage(fitPart, heldOut, width, rnnStage?.rnn ?? null, { ...args, k: order.order });
  if (knn !== null) {
    // The test-time index votes the way the held-out comparison chose.
    knn.calibration = stage.knnVoting!.calibration;
    scorers.push(knnScorer(knn, markovK.name, knnSeconds), knnScorer(knn, markovK.name, knnSeconds, true));
  }
  const { chosen, candidates } = stage.selection;
  // The chosen mixture, and the likelihood-fitted mixture of every component when it is another one.
  const full = candidates.filter((c) => c.fit === 'likelihood').at(-1)!;
  const rowName = (c: typeof chosen): string =>
    c.weights.components.length === 1 ? markovK.name : `ensemble ${c.name}${c.fit === 'rank' ? ' (rank fit)' : ''}`;
  const ensembleSeconds = markovSeconds + knnSeconds + (rnnStage?.rnnSeconds ?? 0) + stage.seconds;
  for (const c of chosen === full ? [chosen] : [chosen, full]) {
    // The chosen mixture with its weights fitted again on every held-out position.
    const weights = c === chosen ? stage.selection.weights : c.weights;
    if (c.weights.components.length > 1) scorers.push(mixtureScorer(rowName(c), weights, rowNames, markovK, ensembleSeconds));
  }
  const results = await evaluate(scorers, test, width);
  const defaultRow = rowName(chosen);
  const table = formatTable(results, defaultRow);
  process.stdout.write(`\n${basename(args.data)} (${args.format}, ${protocol}), ${test.length} test sessions\n${table}\n`);
  process.stdout.write(`default model (* above; best held-out MRR@20): ${chosen.name} (${chosen.fit} fit)\n`);
  const out = args.out ?? `.bench-results/eval-predict-${basename(args.data).replace(/\.[^.]+$/, '')}.json`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        data: args.data,
        test: args.test,
        format: args.format,
        protocol,
        args,
        sessions: { train: train.length, test: test.length, fit: fitPart.length, heldOut: heldOut.length },
        vocabularySize: width,
        markovOrder: order,
        knnVoting: stage.knnVoting,
        testPositions: countPositions(test),
        results,
        defaultModel: { name: chosen.name, fit: chosen.fit, row: defaultRow, weights: stage.selection.weights },
        heldOut: { fitPositions: stage.selection.fitPositions, testPositions: stage.selection.testPositions, seconds: stage.seconds, candidates },
        rnn: rnnStage && { trainSeconds: rnnStage.rnnSeconds, stats: rnnStage.rnnStats, config: rnnStage.rnn.config, artifactBytes: rnnStage.artifactBytes },
        wallSeconds: (Date.now() - t0) / 1000,
        measuredAt: new Date().toISOString(),
      },
      null,
      2,
    ),
  );
  log(`wrote ${out} (${((Date.now() - t0) / 1000).toFixed(0)} s in all)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
