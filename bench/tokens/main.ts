import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { DEFAULT_PEAK_UTILISATION, emptyKeyRing, generateSigningKey, rotateKey, seededRandomBytes } from '@foresight/token-core';

import { parseApacheLog, sessionise, type TraceSession } from './apache-log';
import { tokensCli, type BenchArgs } from './cli';
import type { PolicyResult } from './metrics';
import { simulate, type Policy } from './simulation';
import { evaluateTargets, renderTable } from './report';

const log = (msg: string): void => void process.stderr.write(`[bench:tokens] ${msg}\n`);

function policies(a: BenchArgs): Policy[] {
  const foresight = (name: string, ledger: boolean): Policy => ({
    name,
    kind: 'foresight',
    ledger,
    gateRenewal: ledger && a.gateRenewal,
    scheduler: {
      bucketMs: a.bucketMs,
      thresholdMs: a.thresholdMs,
      minSkewMs: a.minSkewMs,
      maxPullForwardMs: a.pullForwardMs,
      activeProbability: a.pActive,
      maxLoadPerBucket: (a.maxLoadPerSecond * a.bucketMs) / 1000,
    },
    loadModel: { alpha: 0.05, beta: 0.001, gamma: 0.2, period: Math.max(2, Math.round(a.seasonMs / a.bucketMs)) },
    lifetime: { baseTtlMs: a.accessTtlMs, maxTtlMs: a.maxAccessTtlMs, peakRatio: a.peakRatio, peakUtilisation: DEFAULT_PEAK_UTILISATION },
    renewOnUseMs: a.renewOnUseMs,
  });
  return [
    { name: 'fixed-skew-60s', kind: 'fixed-skew', skewMs: 60_000 },
    { name: 'fixed-skew-300s', kind: 'fixed-skew', skewMs: 300_000 },
    { name: 'refresh-on-401', kind: 'on-401' },
    foresight('foresight', true),
    ...(a.compareRerated ? [foresight('foresight-rerated', false)] : []),
  ];
}

/** Stretches the replay clock k times around the first request; sessions were cut on real time. */
function scale(sessions: readonly TraceSession[], k: number): TraceSession[] {
  if (k === 1 || sessions.length === 0) return [...sessions];
  const t0 = Math.min(...sessions.map((s) => s.requests[0]!));
  return sessions.map((s) => ({ ...s, requests: s.requests.map((t) => t0 + Math.round((t - t0) * k)) }));
}

async function main(): Promise<void> {
  const args = tokensCli.parseOrExit(process.argv.slice(2));
  const { requests, skipped } = parseApacheLog(readFileSync(args.data, 'utf8'));
  const sessions = scale(sessionise(requests, args.idleGapMs), args.timeScale);
  log(`${requests.length} requests (${skipped} unparseable lines), ${sessions.length} sessions, time scale ${args.timeScale}`);

  const results: PolicyResult[] = [];
  for (const policy of policies(args)) {
    const started = Date.now();
    const ring = rotateKey(emptyKeyRing, await generateSigningKey('sim-key-1', sessions[0]?.requests[0] ?? 0));
    const result = await simulate(sessions, policy, {
      ring,
      randomBytes: seededRandomBytes(args.seed),
      accessTtlMs: args.accessTtlMs,
      idleTimeoutMs: args.idleGapMs,
      refreshLatencyMs: args.refreshLatencyMs,
      graceMs: args.graceMs,
      peakWindowMs: args.peakWindowMs,
      progress: (done, total) => log(`${policy.name}: ${done}/${total} requests`),
    });
    log(`${policy.name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    results.push(result);
  }

  const activeHours = sessions.reduce((a, s) => a + (s.requests[s.requests.length - 1]! - s.requests[0]!), 0) / 3_600_000;
  const targets = evaluateTargets(results);
  process.stdout.write(renderTable(results, args.peakWindowMs) + '\n');
  process.stdout.write(`targets: ${JSON.stringify(targets)}\n`);

  const report = {
    bench: 'tokens',
    command: `npm run bench:tokens -- ${process.argv.slice(2).join(' ')}`,
    args,
    trace: { requests: requests.length, skippedLines: skipped, sessions: sessions.length, activeSessionHours: activeHours },
    results,
    targets,
  };
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify(report, null, 2));
  log(`wrote ${args.out}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
