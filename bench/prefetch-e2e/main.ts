import { encodeBundle, encodeMarkov, VariableOrderMarkov, Vocabulary } from '@foresight/prediction-core';
import { seededRng } from '@foresight/random';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Client } from 'pg';
import { exampleOrigins, startLocalStack, type LocalStack } from '../../scripts/local-stack';
import { loadSessions } from '../prefetch/trace';
import { prefetchE2eCli, type Args } from './cli';
import { renderTable, summarize, type PhaseResult, type Sample } from './report';

/*
 * `npm run bench:prefetch-e2e [-- --data <trace> ...]`: the predictive cache end to end. Starts the
 * real stack on 127.0.0.1 (embedded Postgres, nats-server, metadata, one shard node, gateway,
 * prediction service, example origin at --latency-ms), stores a Markov model trained on the first
 * 80% of the trace's sessions as the prediction service's active model, declares `view:{id}` →
 * `page:{id}`, then replays sessions of the last 20% through the gateway — each step POSTs the
 * action `view:<page>` and GETs `page:<page>` — twice in the same run: with prediction (Foresight
 * policy, the model, prefetching) and without (CACHE_PREFETCH=false, --baseline policy), the shard
 * node restarted in between (cold cache both times, same warm-up sessions first).
 */

const log = (msg: string): void => void process.stderr.write(`[bench:prefetch-e2e] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The gateway's REST API, as a web back end would call it. */
function gateway(stack: LocalStack) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const headers = { 'x-api-key': stack.apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const r = await fetch(`${stack.gatewayUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as T };
  };
  return call;
}

async function originRequests(stack: LocalStack): Promise<number> {
  return ((await (await fetch(`${stack.originUrl}/admin/stats`)).json()) as { requests: number }).requests;
}

/** Replays sessions with `concurrency` clients; each step records the action, then reads its page. */
async function replay(stack: LocalStack, sessions: readonly (readonly string[])[], a: Args, cap: number, seed: number): Promise<Sample[]> {
  const call = gateway(stack);
  const rng = seededRng(seed);
  const samples: Sample[] = [];
  let next = 0;
  const worker = async () => {
    while (next < sessions.length && samples.length < cap) {
      const pages = sessions[next++]!.slice(0, a.maxSessionLength);
      const created = await call<{ id: string }>('POST', '/v1/sessions', {});
      if (created.status !== 201) throw new Error(`could not create a session: ${JSON.stringify(created.body)}`);
      for (const page of pages) {
        if (samples.length >= cap) break;
        await call('POST', `/v1/sessions/${created.body.id}/actions`, { action: `view:${page}` });
        const started = performance.now();
        const r = await call<{ source?: Sample['source'] }>('GET', `/v1/sessions/${created.body.id}/data/page:${page}`);
        samples.push({ ms: performance.now() - started, source: r.status === 200 && r.body.source ? r.body.source : 'error' });
        // Think time: exponential with mean --think-ms (seeded).
        if (a.thinkMs > 0) await sleep(-Math.log(1 - rng()) * a.thinkMs);
      }
      // The session ends (logout): the node releases its predictions at once instead of after CACHE_LIVE_SESSION_MS.
      const ended = await call('DELETE', `/v1/sessions/${created.body.id}`);
      if (ended.status !== 200) throw new Error(`could not end a session: ${JSON.stringify(ended.body)}`);
    }
  };
  await Promise.all(Array.from({ length: a.concurrency }, worker));
  return samples.slice(0, cap);
}

async function phase(
  stack: LocalStack,
  name: string,
  policy: string,
  prefetch: boolean,
  warm: readonly (readonly string[])[],
  measured: readonly (readonly string[])[],
  a: Args,
): Promise<PhaseResult & { node: Record<string, unknown> }> {
  log(`${name}: ${warm.length} warm-up sessions (not measured)`);
  await replay(stack, warm, a, Number.POSITIVE_INFINITY, a.seed);
  await sleep(500);
  const before = await originRequests(stack);
  const started = Date.now();
  const samples = await replay(stack, measured, a, a.requests, a.seed + 1);
  const seconds = (Date.now() - started) / 1000;
  const fetches = (await originRequests(stack)) - before;
  const node = (await gateway(stack)<{ nodes: Record<string, unknown>[] }>('GET', '/v1/cache/stats')).body.nodes[0] ?? {};
  const r = { ...summarize(name, policy, prefetch, samples, fetches, seconds), node };
  log(
    `${name}: ${r.requests} reads in ${seconds.toFixed(1)} s, waited on origin ${r.waitedShare.toFixed(3)}, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms`,
  );
  return r;
}

/** Restarts the shard node with other cache settings (a cold cache). */
async function restartShard(stack: LocalStack, env: Record<string, string>): Promise<void> {
  await stack.kill('shard-1', 'SIGTERM');
  await stack.startService('shard', 'shard-1', { FORESIGHT_ORIGINS: exampleOrigins(stack.originUrl!), ...env });
  await stack.waitForAssignment(['shard-1'], { exact: true, timeoutMs: 60_000 });
}

async function waitForModel(stack: LocalStack): Promise<string> {
  const call = gateway(stack);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const r = await call<{ nodes: { modelVersion?: string | null }[] }>('GET', '/v1/cache/stats');
    const v = r.body.nodes?.[0]?.modelVersion;
    if (v) return v;
    await sleep(250);
  }
  throw new Error('the shard node did not load the model within 90 s');
}

async function main(): Promise<void> {
  const a = prefetchE2eCli.parseOrExit(process.argv.slice(2));
  const sessions = loadSessions(a.data, a.format);
  const firstTest = Math.floor(sessions.length * 0.8);
  const train = sessions.slice(0, firstTest);
  const warm = train.slice(Math.max(0, firstTest - a.warmSessions));
  const measured = sessions.slice(firstTest);

  const trainStarted = Date.now();
  const vocabulary = new Vocabulary();
  const markov = new VariableOrderMarkov({ maxOrder: 1 });
  for (const s of train) markov.observeSession(s.map((p) => vocabulary.encode(`view:${p}`)));
  markov.growVocabulary(vocabulary.size);
  const bundle = encodeBundle({ kind: 'markov', vocabulary: vocabulary.toJSON(), markov: encodeMarkov(markov), knn: null, rnn: null, mixture: null });
  log(
    `${sessions.length} sessions; model: first-order Markov over ${vocabulary.size - 1} actions from ${train.length} sessions (${(bundle.length / 1024).toFixed(0)} KiB, ${((Date.now() - trainStarted) / 1000).toFixed(1)} s)`,
  );

  const budget = String(a.budgetKib * 1024);
  const stack = await startLocalStack({
    shardNodes: 1,
    quiet: true,
    originExample: { env: { ORIGIN_LATENCY_MS: String(a.latencyMs), ORIGIN_PAYLOAD_BYTES: String(a.payloadBytes) } },
    env: { LOG_LEVEL: 'warn', CACHE_POLICY: 'foresight', CACHE_BUDGET_BYTES: budget, CACHE_MODEL_POLL_MS: '500', CACHE_FETCH_BUDGET: String(a.fetchBudget) },
  });
  const rows: (PhaseResult & { node: Record<string, unknown> })[] = [];
  try {
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    await db.query(`INSERT INTO prediction_models (kind, artifact, metrics, active) VALUES ('markov', $1, $2, true)`, [
      bundle,
      JSON.stringify({ source: 'bench:prefetch-e2e' }),
    ]);
    await db.end();
    await stack.startService('prediction', 'prediction');
    const declared = await gateway(stack)('PUT', '/v1/requirements', { pattern: 'view:{id}', keys: ['page:{id}'] });
    if (declared.status !== 200) throw new Error(`could not declare the requirement: ${JSON.stringify(declared.body)}`);
    log(`shard node loaded model ${await waitForModel(stack)}`);

    rows.push(await phase(stack, 'with prediction', 'foresight', true, warm, measured, a));
    await restartShard(stack, { CACHE_PREFETCH: 'false', CACHE_POLICY: a.baseline });
    rows.push(await phase(stack, 'without prediction', a.baseline, false, warm, measured, a));
  } finally {
    await stack.stop();
  }

  process.stdout.write(`${renderTable(rows)}\n`);
  const [withPrediction, without] = rows;
  const fetchRatio =
    withPrediction && without && without.originFetchesPerRequest > 0 ? withPrediction.originFetchesPerRequest / without.originFetchesPerRequest : null;
  if (fetchRatio !== null) process.stdout.write(`origin fetches with prediction: ${fetchRatio.toFixed(2)}× the plain cache's (budget ${a.fetchBudget})\n`);
  const report = {
    bench: 'prefetch-e2e',
    command: `npm run bench:prefetch-e2e -- ${process.argv.slice(2).join(' ')}`.trim(),
    at: new Date().toISOString(),
    settings: a,
    trace: { sessions: sessions.length, trainSessions: train.length, warmSessions: warm.length, actions: vocabulary.size - 1 },
    rows,
    fetchesVsPlain: fetchRatio,
  };
  mkdirSync(dirname(a.out), { recursive: true });
  writeFileSync(a.out, JSON.stringify(report, null, 2));
  log(`wrote ${a.out}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:prefetch-e2e failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
