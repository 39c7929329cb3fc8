/*
 * npm run bench:leases -- [options]
 *
 * Owner round trips and CPU per 1,000 held sessions per renewal period: a local stack of real
 * processes (metadata, shard nodes, two gateways on one NATS and Postgres). Clients lock every
 * session exclusively and renew each lock every third of its lease, the renewals spread evenly over
 * the period, as `withLock` does for independent clients. Variant "batched": the gateway keeps the
 * leases it holds renewed with the owners in one request per node per tick (the default); variant
 * "per session": a gateway with LOCK_RENEW_BATCH_MS=0 sends every client renewal to the owner alone.
 * Both gateways receive the same HTTP renewals, so their difference is the renewal traffic to the owners.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { startLocalStack, type LocalStack, type ServiceProcess } from '../../scripts/local-stack';
import { metricSum, scrapeMetrics } from '../prometheus-text';
import { leasesCli } from './cli';

const args = leasesCli.parseOrExit(process.argv.slice(2));
const leaseMs = args.leaseMs;
const periodMs = Math.floor(leaseMs / 3);

async function json<T>(url: string, apiKey: string, method: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(url, {
    method,
    headers: { 'x-api-key': apiKey, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as T };
}

/** Runs `task` over `items`, `concurrency` at a time. */
async function pool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

interface Sample {
  readonly trips: number;
  readonly renewalsToOwners: number;
  readonly gatewayCpuS: number;
  readonly shardCpuS: number;
}

async function sample(gateway: ServiceProcess, shards: readonly ServiceProcess[]): Promise<Sample> {
  const [g, ...s] = await scrapeMetrics([gateway, ...shards]);
  return {
    trips: metricSum(g!, 'foresight_gateway_lock_renewal_round_trips_total'),
    renewalsToOwners: metricSum(g!, 'foresight_gateway_lock_renewals_total'),
    gatewayCpuS: metricSum(g!, 'process_cpu_seconds_total'),
    shardCpuS: s.reduce((a, text) => a + metricSum(text, 'process_cpu_seconds_total'), 0),
  };
}

async function variant(stack: LocalStack, name: string, gateway: ServiceProcess, shards: readonly ServiceProcess[], ids: readonly string[]) {
  const base = gateway.httpUrl;
  const tokens = new Map<string, string>();
  let firstFailure: string | undefined;
  const acquiring = Date.now();
  await pool(ids, 50, async (id) => {
    const r = await json<{ token: string }>(`${base}/v1/sessions/${id}/locks`, stack.apiKey, 'POST', { mode: 'exclusive', leaseMs });
    if (r.status !== 201) throw new Error(`lock ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    tokens.set(id, r.body.token);
  });
  process.stderr.write(`[bench:leases] ${name}: ${ids.length} locks acquired in ${Date.now() - acquiring} ms\n`);
  // One period to settle into the steady state (the first renewals of locks the gateway holds), then measure.
  const renewOnePeriod = async () => {
    const start = Date.now();
    let failures = 0;
    await Promise.all(
      ids.map(async (id, i) => {
        const at = start + Math.floor((i / ids.length) * periodMs);
        await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
        const r = await json(`${base}/v1/sessions/${id}/locks/renew`, stack.apiKey, 'POST', { token: tokens.get(id), leaseMs });
        if (r.status !== 200) {
          failures++;
          firstFailure ??= `${r.status} ${JSON.stringify(r.body)}`;
        }
      }),
    );
    const left = start + periodMs - Date.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    return failures;
  };
  await renewOnePeriod();
  const before = await sample(gateway, shards);
  let failures = 0;
  for (let p = 0; p < args.periods; p++) {
    failures += await renewOnePeriod();
    process.stderr.write(`[bench:leases] ${name}: period ${p + 1}/${args.periods}\n`);
  }
  const after = await sample(gateway, shards);
  await pool(ids, 50, async (id) => void (await json(`${base}/v1/sessions/${id}/locks/release`, stack.apiKey, 'POST', { token: tokens.get(id) })));
  const per1000 = (x: number) => (x / args.periods) * (1000 / ids.length);
  const trips = after.trips - before.trips;
  return {
    variant: name,
    ownerRoundTripsPer1000PerPeriod: +per1000(trips).toFixed(2),
    renewalsPerRoundTrip: trips > 0 ? +((after.renewalsToOwners - before.renewalsToOwners) / trips).toFixed(1) : 0,
    gatewayCpuMsPer1000PerPeriod: +per1000((after.gatewayCpuS - before.gatewayCpuS) * 1000).toFixed(1),
    shardCpuMsPer1000PerPeriod: +per1000((after.shardCpuS - before.shardCpuS) * 1000).toFixed(1),
    failedRenewals: failures,
    firstFailure: firstFailure ?? '',
  };
}

async function main(): Promise<void> {
  const stack = await startLocalStack({
    quiet: true,
    shardNodes: args.nodes,
    env: {
      LOG_LEVEL: 'warn',
      FORESIGHT_NAMESPACE: `leases${process.pid}`,
      LOCK_MAX_LEASE_MS: String(Math.max(leaseMs, 60_000)),
      LOCK_RENEW_BATCH_MS: String(args.batchMs),
    },
  });
  try {
    const unbatched = await stack.startService('gateway', 'gateway-per-session', { LOCK_RENEW_BATCH_MS: '0' });
    const batched = stack.services.get('gateway')!;
    const shards = [...stack.services.values()].filter((s) => s.app === 'shard');
    await stack.waitForAssignment();
    const ids: string[] = [];
    await pool(
      Array.from({ length: args.sessions }, (_, i) => i),
      50,
      async () => {
        const r = await json<{ id: string }>(`${batched.httpUrl}/v1/sessions`, stack.apiKey, 'POST', { data: { cart: { items: [] } } });
        if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
        ids.push(r.body.id);
      },
    );
    const rows = [];
    rows.push(await variant(stack, 'batched', batched, shards, ids));
    rows.push(await variant(stack, 'per session', unbatched, shards, ids));
    const ratio = rows[1]!.ownerRoundTripsPer1000PerPeriod > 0 ? rows[0]!.ownerRoundTripsPer1000PerPeriod / rows[1]!.ownerRoundTripsPer1000PerPeriod : NaN;
    console.table(rows);
    process.stdout.write(
      `owner round trips, batched / per session: ${ratio.toFixed(4)} (1/${(1 / ratio).toFixed(0)}; target ≤ 1/50) — ` +
        `${args.sessions} sessions, ${args.nodes} shard nodes, lease ${leaseMs} ms, renewal period ${periodMs} ms, ${args.periods} periods.\n` +
        'CPU is process CPU of the gateway (HTTP handling of the same client renewals included) and of all shard nodes, per 1,000 sessions per period.\n',
    );
    mkdirSync(dirname(args.out), { recursive: true });
    writeFileSync(
      args.out,
      JSON.stringify(
        {
          measuredAt: new Date().toISOString(),
          node: process.version,
          sessions: args.sessions,
          nodes: args.nodes,
          leaseMs,
          periodMs,
          periods: args.periods,
          batchMs: args.batchMs,
          ratio,
          rows,
        },
        null,
        2,
      ),
    );
    process.stderr.write(`wrote ${args.out}\n`);
  } finally {
    await stack.stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench:leases failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
