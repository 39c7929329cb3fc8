import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Vocabulary } from '@foresight/prediction-core';
import { evalCli } from './args';
import { loadSessions } from './datasets';
import { countPositions, evaluate, type DenseScorer } from './evaluate';
import { trainMarkovFamily } from './markov-scorers';
import { formatTable } from './metrics';
import { ensembleScorer, rnnScorer, runRnnStage } from './rnn-stage';

const log = (msg: string): void => void process.stderr.write(`[eval-predict] ${msg}\n`);

async function main(): Promise<void> {
  const args = evalCli.parseOrExit(process.argv.slice(2));
  const t0 = Date.now();
  const raw = loadSessions(args.data, args.format, args.maxSessions);
  const vocab = new Vocabulary({ maxSize: 1 << 22 });
  const sessions = raw.map((s) => vocab.encodeAll(s));
  const cut = Math.floor(sessions.length * 0.8);
  const train = sessions.slice(0, cut);
  const test = sessions.slice(cut);
  log(
    `${sessions.length} sessions (${train.length} train, ${test.length} test), ${vocab.size} actions incl. <unk>, ` +
      `${countPositions(test)} test positions; loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  const { scorers: markov, markovK } = trainMarkovFamily(train, vocab.size, args.k, args.markovVariants);
  const scorers: DenseScorer[] = [...markov];
  let rnnReport: Record<string, unknown> | null = null;
  if (!args.skipRnn) {
    const stage = await runRnnStage(train, vocab.size, args);
    const markovSeconds = markov.find((s) => s.name === markovK.name)!.trainSeconds;
    scorers.push(rnnScorer(stage.rnn, stage.rnnSeconds));
    scorers.push(ensembleScorer(markovK, stage.rnn, stage.weights, stage.rnnSeconds + stage.fitSeconds + markovSeconds));
    rnnReport = {
      trainSeconds: stage.rnnSeconds,
      stats: stage.rnnStats,
      config: stage.rnn.config,
      artifactBytes: stage.artifactBytes,
      mixingWeights: stage.weights,
      heldOut: stage.heldOut,
      defaultModel: stage.defaultModel,
    };
  }
  const results = await evaluate(scorers, test, vocab.size);
  const table = formatTable(results);
  process.stdout.write(`\n${basename(args.data)} (${args.format}), ${test.length} test sessions\n${table}\n`);
  if (rnnReport !== null) process.stdout.write(`default model (held-out comparison): ${String(rnnReport['defaultModel'])}\n`);
  const out = args.out ?? `.bench-results/eval-predict-${basename(args.data).replace(/\.[^.]+$/, '')}.json`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        data: args.data,
        format: args.format,
        args,
        sessions: { total: sessions.length, train: train.length, test: test.length },
        vocabularySize: vocab.size,
        testPositions: countPositions(test),
        results,
        rnn: rnnReport,
        measuredAt: new Date().toISOString(),
      },
      null,
      2,
    ),
  );
  log(`wrote ${out}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
