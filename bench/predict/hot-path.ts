import { PrefetchPlanner, type ActionPredictor } from '@foresight/cache-core';
import {
  chooseKnnVoting,
  encodeBundle,
  encodeKnn,
  encodeMarkov,
  loadHotPathModel,
  saveRnnArtifact,
  selectMixture,
  SessionKnn,
  SessionKnnPredictor,
  VariableOrderMarkov,
  type HotPathModel,
  type MixtureWeights,
  type RnnModel,
  type RnnUse,
  type TargetPosition,
  type Vocabulary,
} from '@foresight/prediction-core';
import { summarise, type LatencySummary } from './latency';

/** Model kinds a bundle can hold, as the service names its choice. */
export const KINDS = ['markov', 'markov+knn', 'markov+rnn', 'markov+knn+rnn'] as const;
export type Kind = (typeof KINDS)[number];

/** One kind's hot-path figures. */
export interface HotPathResult {
  readonly kind: Kind;
  /** Latency of one plan (the planner's predictions: first step and second hops), µs, wall clock. */
  readonly plan: LatencySummary;
  /** The same plans' CPU time (µs): what the plan cost, without time the process was descheduled on a shared machine. */
  readonly planCpu: LatencySummary;
  /** Share of plans whose RNN row was ready (the rest used the other parts; null without an RNN): about half, as a plan right after an action waits for its row and the replan after the read has it. */
  readonly rnnReady: number | null;
  /** Batched RNN passes off the planning path: rows per pass and ms each pass held the thread. */
  readonly rnnBatches: {
    readonly rowsPerSecond: number;
    readonly passes: number;
    readonly meanRows: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    readonly dropped: number;
  } | null;
}

export interface HotPathInput {
  readonly train: readonly number[][];
  readonly queries: readonly number[][];
  readonly vocabulary: Vocabulary;
  readonly rnn: RnnModel;
  readonly k: number;
  readonly liveSessions: number;
  readonly plans: number;
  readonly fitPositions: number;
  /** Time between a session's actions: the batched RNN passes run in it (at most their duty cycle). */
  readonly actionIntervalMs: number;
  readonly log: (message: string) => void;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Builds a bundle the way the prediction service does (Markov-K and session-kNN on the training
 * sessions, kNN voting and mixture weights fitted on held-out positions, the RNN given), then for
 * each model kind loads it as a cache node does and times plans of `liveSessions` interleaved
 * sessions (each plays one action per round; the event loop turns between rounds, so batched RNN
 * passes run between plans as on a node).
 */
export async function measureHotPath(input: HotPathInput): Promise<HotPathResult[]> {
  const { train, queries, vocabulary, rnn, log } = input;
  const V = vocabulary.size;
  const markov = new VariableOrderMarkov({ maxOrder: input.k, vocabularySize: V, maxContexts: 4_000_000 });
  const knn = new SessionKnnPredictor(new SessionKnn({ maxSessions: Math.max(1, train.length) }), markov);
  for (const s of train) {
    markov.observeSession(s);
    knn.index.observeSession(s);
  }
  markov.growVocabulary(V);
  const positions: TargetPosition[] = [];
  for (const s of queries) {
    for (let i = 1; i < s.length && positions.length < 2 * input.fitPositions; i++) positions.push({ seq: s, len: i, target: s[i]! });
  }
  const fit = positions.slice(0, input.fitPositions);
  const voting = await chooseKnnVoting(knn.index, markov, fit, V);
  knn.calibration = voting.calibration;
  const selection = await selectMixture({ markov, knn, rnn }, fit, positions.slice(input.fitPositions), V, { chunk: 64 });
  log(`mixtures fitted on ${selection.fitPositions} positions; held-out winner ${selection.chosen.name}`);
  const artifact = await saveRnnArtifact(rnn);
  const parts = { markov: encodeMarkov(markov), knn: encodeKnn(knn.index, knn.calibration), rnn: artifact };
  const out: HotPathResult[] = [];
  for (const kind of KINDS) {
    const weights = kind === 'markov' ? null : selection.candidates.find((c) => c.name === kind && c.fit === 'likelihood')!.weights;
    const bytes = bundleOf(kind, vocabulary, parts, weights);
    const batches: { rows: number; ms: number }[] = [];
    const model = await loadHotPathModel(bytes, { rnnRows: { onBatch: (rows, ms) => batches.push({ rows, ms }) } });
    if (model.predictor.name !== kind) throw new Error(`the ${kind} bundle loaded as ${model.predictor.name}`);
    out.push(await run(kind, model, queries, input, batches));
    log(`hot path ${kind}: p50 ${out.at(-1)!.plan.p50Us} µs, p99 ${out.at(-1)!.plan.p99Us} µs per plan (CPU p99 ${out.at(-1)!.planCpu.p99Us} µs)`);
    model.dispose();
  }
  return out;
}

function bundleOf(kind: Kind, vocabulary: Vocabulary, parts: { markov: Uint8Array; knn: Uint8Array; rnn: Uint8Array }, mixture: MixtureWeights | null): Buffer {
  return encodeBundle({
    kind: kind === 'markov' ? 'markov' : 'ensemble',
    vocabulary: vocabulary.toJSON(),
    markov: parts.markov,
    knn: kind.includes('knn') ? parts.knn : null,
    rnn: kind.includes('rnn') ? parts.rnn : null,
    mixture,
  });
}

async function run(
  kind: Kind,
  model: HotPathModel,
  queries: readonly number[][],
  input: HotPathInput,
  batches: { rows: number; ms: number }[],
): Promise<HotPathResult> {
  const { predictor, vocabulary } = model;
  // The planner over action names, as on a node (the catch-all 0 never predicted; the first
  // prediction of a plan is the session's history, later ones look ahead).
  let step = 0;
  let firstUse: RnnUse = 'none';
  const names: ActionPredictor = {
    predict: (history, n) => {
      const own = step++ === 0;
      const top = predictor.predict(
        history.slice(-16).map((a) => vocabulary.lookup(a)),
        n + 1,
        null,
        own,
      );
      if (own) firstUse = predictor.lastRnnUse;
      return top
        .filter((s) => s.action !== 0)
        .slice(0, n)
        .map((s) => ({ action: vocabulary.decode(s.action), p: s.p }));
    },
  };
  const planner = new PrefetchPlanner(names);
  const live = Math.min(input.liveSessions, queries.length);
  const slots = Array.from({ length: live }, (_, i) => ({ session: i, at: 1 }));
  let nextSession = live;
  const warmup = live;
  const ns = new Float64Array(input.plans);
  const cpu = new Float64Array(input.plans);
  let timed = 0;
  let done = 0;
  let ready = 0;
  let withRnn = 0;
  const plan = (history: string[]): void => {
    step = 0;
    const c0 = process.cpuUsage();
    const started = process.hrtime.bigint();
    planner.plan(history, () => []);
    const elapsed = Number(process.hrtime.bigint() - started);
    const c = process.cpuUsage(c0);
    if (done++ < warmup || timed >= input.plans) return;
    cpu[timed] = (c.user + c.system) * 1000;
    ns[timed++] = elapsed;
    if (firstUse !== 'none') withRnn++;
    if (firstUse === 'used') ready++;
  };
  // Each round every live session takes its next action and plans; the event loop then runs the
  // batched RNN passes those plans queued (a node does so between requests) until they are done or
  // the action interval is over, and every session plans again, as a node replans after its read.
  while (timed < input.plans) {
    const histories = slots.map((slot) => queries[slot.session % queries.length]!.slice(0, slot.at).map((a) => vocabulary.decode(a)));
    for (const h of histories) plan(h);
    await turn();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([predictor.warm([]), new Promise((resolve) => (timer = setTimeout(resolve, input.actionIntervalMs)))]);
    clearTimeout(timer);
    for (const h of histories) plan(h);
    await turn();
    for (const slot of slots) {
      if (++slot.at > queries[slot.session % queries.length]!.length - 1) {
        slot.session = nextSession++;
        slot.at = 1;
      }
    }
  }
  const rnnRows = model.rnn !== null;
  const sorted = batches.map((b) => b.ms).sort((a, b) => a - b);
  const q = (p: number): number => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) * 100) / 100;
  return {
    kind,
    plan: summarise(ns),
    planCpu: summarise(cpu),
    rnnReady: rnnRows ? Math.round((ready / Math.max(1, withRnn)) * 1000) / 1000 : null,
    rnnBatches: rnnRows
      ? {
          rowsPerSecond: Math.round(batches.reduce((s, b) => s + b.rows, 0) / Math.max(1e-9, batches.reduce((s, b) => s + b.ms, 0) / 1000)),
          passes: batches.length,
          meanRows: Math.round((batches.reduce((s, b) => s + b.rows, 0) / Math.max(1, batches.length)) * 10) / 10,
          p50Ms: q(0.5),
          p99Ms: q(0.99),
          maxMs: Math.round((sorted.at(-1) ?? 0) * 100) / 100,
          dropped: predictor.parts.rnn?.counts.dropped ?? 0,
        }
      : null,
  };
}

/** The hot-path table. */
export function hotPathLines(results: readonly HotPathResult[], live: number, intervalMs: number): string[] {
  const lines = [
    `Hot path: per-plan latency at ${live} live sessions acting every ${intervalMs} ms (µs; plan = top-10 and 3 second hops)`,
    `${'model'.padEnd(16)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(9)} ${'cpu p99'.padStart(8)} ${'rnn ready'.padStart(10)} ${'rnn pass p50/p99 ms (rows)'.padStart(28)} ${'rnn rows/s'.padStart(11)}`,
  ];
  for (const r of results) {
    const b = r.rnnBatches;
    lines.push(
      `${r.kind.padEnd(16)} ${r.plan.p50Us.toFixed(1).padStart(8)} ${r.plan.p90Us.toFixed(1).padStart(8)} ${r.plan.p99Us.toFixed(1).padStart(8)} ${r.plan.maxUs.toFixed(0).padStart(9)} ${r.planCpu.p99Us.toFixed(0).padStart(8)} ${(r.rnnReady === null ? '-' : r.rnnReady.toFixed(3)).padStart(10)} ${(b ? `${b.p50Ms}/${b.p99Ms} (${b.meanRows})` : '-').padStart(28)} ${(b ? String(b.rowsPerSecond) : '-').padStart(11)}`,
    );
  }
  return lines;
}
