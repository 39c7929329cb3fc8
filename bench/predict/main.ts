import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { UserBlendedMarkov, VariableOrderMarkov, Vocabulary, initBackend, packSessions, trainRnn, type Smoothing } from '@foresight/prediction-core';
import { seededRng } from '@foresight/random';
import { loadSessions } from '../../tools/eval-predict/datasets';
import { predictCli } from './cli';
import { hotPathLines, measureHotPath, type HotPathResult } from './hot-path';
import { measure, type LatencySummary } from './latency';

const log = (msg: string): void => void process.stderr.write(`[bench-predict] ${msg}\n`);

/** Sessions from a random sparse Markov chain (used when no --data is given). */
function generated(count: number, vocabulary: number, seed: number): number[][] {
  const rng = seededRng(seed);
  const next = Array.from({ length: vocabulary }, () => Array.from({ length: 4 }, () => 1 + Math.floor(rng() * (vocabulary - 1))));
  return Array.from({ length: count }, () => {
    const s = [1 + Math.floor(rng() * (vocabulary - 1))];
    const len = 2 + Math.floor(-Math.log(1 - rng()) * 8);
    while (s.length < len) s.push(rng() < 0.8 ? next[s.at(-1)!]![Math.floor(rng() * 4)]! : 1 + Math.floor(rng() * (vocabulary - 1)));
    return s;
  });
}

async function main(): Promise<void> {
  const args = predictCli.parseOrExit(process.argv.slice(2));
  const vocab = new Vocabulary({ maxSize: 1 << 22 });
  const sessions = args.data ? loadSessions(args.data, args.format, args.maxSessions).map((s) => vocab.encodeAll(s)) : generated(50_000, 1000, 1);
  const cut = args.test ? sessions.length : Math.floor(sessions.length * 0.8);
  const train = sessions.slice(0, cut);
  const held = args.test ? loadSessions(args.test, args.format, args.maxSessions, '--test').map((s) => vocab.encodeAll(s)) : sessions.slice(cut);
  if (!args.data) for (let a = vocab.size; a < 1000; a++) vocab.encode(`g${a}`);
  const V = vocab.size;
  const histories = held.flatMap((s) => s.slice(1).map((_, i) => s.slice(Math.max(0, i + 1 - args.history), i + 1)));
  log(`${sessions.length} sessions, ${V} actions, ${histories.length} query histories (${args.data ?? 'generated'})`);

  const markov: Record<string, LatencySummary & { contexts: number }> = {};
  const actions = new Int32Array(5);
  const probs = new Float64Array(5);
  for (const smoothing of ['interpolated', 'ppm-c'] as Smoothing[]) {
    const model = new VariableOrderMarkov({ maxOrder: args.k, smoothing, vocabularySize: V, maxContexts: 4_000_000 });
    for (const s of train) model.observeSession(s);
    const q = (i: number): number[] => histories[i % histories.length]!;
    markov[`${model.name} ${smoothing} predictInto top-5`] = {
      ...measure(args.calls, (i) => model.predictInto(q(i), q(i).length, 5, actions, probs)),
      contexts: model.contexts.size,
    };
    markov[`${model.name} ${smoothing} predict top-5`] = { ...measure(args.calls, (i) => model.predict(q(i), 5)), contexts: model.contexts.size };
    if (smoothing === 'interpolated') {
      const blend = new UserBlendedMarkov(model, { updateGlobal: false });
      const users = 1000;
      histories.slice(0, 50_000).forEach((h, i) => blend.observe(`u${i % users}`, h.slice(0, -1), h.at(-1)!));
      markov[`${model.name} ${smoothing} + user blend predict top-5`] = {
        ...measure(Math.min(args.calls, 50_000), (i) => blend.predict(`u${i % users}`, q(i), 5)),
        contexts: model.contexts.size,
      };
    }
    log(`measured ${model.name} ${smoothing}`);
  }

  const backend = await initBackend({ log });
  const { model: rnn } = await trainRnn(packSessions(train), {
    vocabularySize: V,
    historyLength: args.history,
    hiddenUnits: args.hidden,
    epochs: 1,
    maxWindows: 5_000,
    batchSize: 256,
  });
  const rnnRows: Record<string, { batch: number; predictionsPerSecond: number; msPerBatch: number }> = {};
  for (const batch of [1, 32, 256]) {
    const refs = Array.from({ length: batch }, (_, i) => ({ seq: histories[i % histories.length]!, len: histories[i % histories.length]!.length }));
    rnn.predictBatch(refs);
    let calls = 0;
    const started = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < 3 || calls < 5) {
      rnn.predictBatch(refs);
      calls++;
      elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    }
    rnnRows[`batch ${batch}`] = { batch, predictionsPerSecond: Math.round((calls * batch) / elapsed), msPerBatch: Math.round((elapsed / calls) * 1e5) / 100 };
    log(`RNN batch ${batch}: ${rnnRows[`batch ${batch}`]!.predictionsPerSecond} predictions/s`);
  }

  let hotPath: HotPathResult[] = [];
  if (args.plans > 0) {
    hotPath = await measureHotPath({
      train,
      queries: held.filter((s) => s.length >= 2),
      vocabulary: vocab,
      rnn,
      k: args.k,
      liveSessions: args.liveSessions,
      plans: args.plans,
      fitPositions: args.fitPositions,
      actionIntervalMs: args.actionIntervalMs,
      log,
    });
  }

  const lines = [
    'Markov top-5 latency per call (µs, in process)',
    `${'case'.padEnd(52)} ${'p50'.padStart(7)} ${'p90'.padStart(7)} ${'p99'.padStart(7)} ${'mean'.padStart(7)}`,
  ];
  for (const [name, s] of Object.entries(markov)) {
    lines.push(
      `${name.padEnd(52)} ${s.p50Us.toFixed(2).padStart(7)} ${s.p90Us.toFixed(2).padStart(7)} ${s.p99Us.toFixed(2).padStart(7)} ${s.meanUs.toFixed(2).padStart(7)}`,
    );
  }
  lines.push(
    '',
    `RNN (gru-${args.hidden}, T=${args.history}, V=${V}) batched inference, backend ${backend}`,
    `${'batch'.padEnd(8)} ${'pred/s'.padStart(10)} ${'ms/batch'.padStart(10)}`,
  );
  for (const r of Object.values(rnnRows))
    lines.push(`${String(r.batch).padEnd(8)} ${String(r.predictionsPerSecond).padStart(10)} ${r.msPerBatch.toFixed(2).padStart(10)}`);
  if (hotPath.length > 0) lines.push('', ...hotPathLines(hotPath, args.liveSessions, args.actionIntervalMs));
  process.stdout.write(`${lines.join('\n')}\n`);

  const out = args.out ?? `.bench-results/bench-predict-${args.data ? basename(args.data).replace(/\.[^.]+$/, '') : 'generated'}.json`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      { args, vocabularySize: V, sessions: sessions.length, markov, rnn: { backend, rows: rnnRows }, hotPath, measuredAt: new Date().toISOString() },
      null,
      2,
    ),
  );
  log(`wrote ${out}`);
  rnn.dispose();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
