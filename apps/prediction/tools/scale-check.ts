/**
 * Scale check of the prediction service on real sessions (not a test, never asserts on time):
 * bulk-loads sessions into a fresh embedded Postgres as action events, starts the service runtime
 * (rebuild from Postgres), measures predict latency over NATS, runs one retraining round (RNN in a
 * worker, held-out comparison, stored model) and measures again. Prints a table, writes
 * `.bench-results/prediction-scale.json`, progress on stderr.
 *
 *   npx tsc -p tsconfig.build.json && npx tsc-alias -p tsconfig.build.json
 *   node dist/apps/prediction/tools/scale-check.js --data <file> [--format msnbc|lines|tsv]
 *     [--sessions 20000] [--epochs 2] [--hidden 64] [--requests 2000]     (or --help)
 */
import { loadConfig } from '@foresight/config';
import { predictionSubjects } from '@foresight/contracts';
import { callRpc, encode } from '@foresight/messaging';
import { createMetricsRegistry } from '@foresight/observability';
import { createPool, runMigrations } from '@foresight/persistence';
import { serveRpcControllers } from '@foresight/platform';
import { generateSessionId } from '@foresight/session-domain';
import { systemClock } from '@foresight/time';
import { connect, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { startNatsServer } from '../../../scripts/infra/nats-server';
import { startEmbeddedPostgres } from '../../../scripts/infra/postgres';
import { loadSessions } from '../../../tools/eval-predict/datasets';
import { predictionRuntimeParts } from '../src/app.module';
import { PredictionRuntime } from '../src/prediction.runtime';
import { PredictionRpcController } from '../src/serving/prediction.rpc';
import { scaleCheckCli } from './scale-check-cli';

const log = (msg: string): void => void process.stderr.write(`[scale-check] ${msg}\n`);

async function insertSessions(pool: Pool, sessions: readonly string[][], secret: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < sessions.length; i += 2000) {
    const sid: string[] = [];
    const ver: number[] = [];
    const eid: string[] = [];
    const data: Buffer[] = [];
    for (const s of sessions.slice(i, i + 2000)) {
      const id = generateSessionId(secret);
      ids.push(id);
      s.forEach((action, k) => {
        sid.push(id);
        ver.push(k + 1);
        eid.push(randomUUID());
        data.push(Buffer.from(encode({ action, userId: null })));
      });
    }
    await pool.query(
      `INSERT INTO events (session_id, stream_version, shard, epoch, event_id, type, schema_version, occurred_at, correlation_id, causation_id, data)
       SELECT sid, ver, 0, 1, eid, 'session.action_recorded', 1, now(), 'scale', 'scale', d
         FROM unnest($1::text[], $2::int[], $3::uuid[], $4::bytea[]) AS t(sid, ver, eid, d)`,
      [sid, ver, eid, data],
    );
  }
  return ids;
}

async function latency(nc: NatsConnection, subject: string, ids: readonly string[], n: number): Promise<{ p50: number; p99: number; cpuMsPerRequest: number }> {
  const ms: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await callRpc(nc, subject, 'predict', { sessionId: ids[(i * 7919) % ids.length], n: 5 }, { timeoutMs: 5000 });
    ms.push(performance.now() - started);
  }
  const used = process.cpuUsage(cpu);
  ms.sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(ms.length * q))]! * 1000) / 1000;
  return { p50: at(0.5), p99: at(0.99), cpuMsPerRequest: Math.round(((used.user + used.system) / 1000 / n) * 1000) / 1000 };
}

async function main(): Promise<void> {
  const a = scaleCheckCli.parseOrExit(process.argv.slice(2));
  const pg = await startEmbeddedPostgres({ dataDir: join(mkdtempSync(join(tmpdir(), 'prediction-scale-')), 'pg'), quiet: true });
  const nats = await startNatsServer();
  try {
    const url = await pg.createDatabase('scale');
    await runMigrations(url);
    const config = loadConfig('prediction', {
      DATABASE_URL: url,
      NATS_URL: nats.url,
      FORESIGHT_NAMESPACE: 'scale',
      NODE_ID: 'scale',
      PREDICTION_RNN_EPOCHS: String(a.epochs),
      PREDICTION_RNN_HIDDEN_UNITS: String(a.hidden),
    });
    const sessions = loadSessions(a.data, a.format, a.sessions);
    const actions = sessions.reduce((n, s) => n + s.length, 0);
    const pool = createPool(url, 6, 'scale');
    log(`loading ${sessions.length} sessions (${actions} actions) into Postgres ...`);
    const ids = await insertSessions(pool, sessions, config.session.idSecret);
    const nc = await connect({ servers: nats.url });
    const say = (level: string) => (obj: object, msg: string) => {
      if (level !== 'debug') log(`${msg} ${JSON.stringify(obj).slice(0, 400)}`);
    };
    const runtime = new PredictionRuntime({
      config,
      pool,
      nc,
      logger: { debug: say('debug'), info: say('info'), warn: say('warn'), error: say('error') },
      clock: systemClock,
      metrics: createMetricsRegistry('prediction'),
    });
    const rpc = await serveRpcControllers(
      runtime.rpc,
      [PredictionRpcController],
      [{ provide: PredictionRuntime, useValue: runtime }, ...predictionRuntimeParts],
    );
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    await runtime.start();
    const used = process.cpuUsage(cpu0);
    const rebuild = { seconds: (Date.now() - t0) / 1000, processCpuSeconds: (used.user + used.system) / 1e6 };
    const subject = predictionSubjects('scale').predictionRpc('predict');
    const before = await latency(nc, subject, ids, a.requests);
    const t1 = Date.now();
    const round = await runtime.trainer.runRound({ force: true });
    const roundSeconds = (Date.now() - t1) / 1000;
    const after = await latency(nc, subject, ids, a.requests);
    const result = {
      data: a.data,
      sessions: sessions.length,
      actions,
      rebuild,
      round: { seconds: roundSeconds, ...round },
      predictBefore: { model: 'markov-live', ...before },
      predictAfter: { model: `${runtime.registry.current.name} ${runtime.registry.current.version}`, ...after },
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
    };
    await runtime.stop();
    await rpc.close();
    await nc.drain();
    await pool.end();
    const candidates =
      round.status === 'stored' ? ((round.metrics['candidates'] ?? {}) as Record<string, { hit1?: number; mrr20?: number; nll?: number }>) : {};
    const rows = [
      ['sessions / actions', `${sessions.length} / ${actions}`],
      ['rebuild from Postgres', `${rebuild.seconds.toFixed(1)} s wall, ${rebuild.processCpuSeconds.toFixed(1)} s CPU (service process)`],
      [
        'retraining round',
        `${roundSeconds.toFixed(1)} s → ${round.status === 'stored' ? `${String(round.metrics['decision'])} v${round.version}` : round.reason}`,
      ],
      ...Object.entries(candidates).map(([k, c]) => [`held-out ${k}`, `hit@1 ${c.hit1 ?? '-'}  MRR@20 ${c.mrr20 ?? '-'}  NLL ${c.nll ?? '-'}`]),
      ['predict over NATS, before', `p50 ${before.p50} ms  p99 ${before.p99} ms  (client+service CPU ${before.cpuMsPerRequest} ms/req)`],
      ['predict over NATS, after', `p50 ${after.p50} ms  p99 ${after.p99} ms  (client+service CPU ${after.cpuMsPerRequest} ms/req)`],
      ['RSS', `${result.rssMB} MB`],
    ];
    for (const [k, v] of rows) process.stdout.write(`${k!.padEnd(28)} ${v}\n`);
    mkdirSync('.bench-results', { recursive: true });
    writeFileSync(join('.bench-results', 'prediction-scale.json'), JSON.stringify(result, null, 2));
    log('wrote .bench-results/prediction-scale.json');
  } finally {
    await nats.stop();
    await pg.stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
