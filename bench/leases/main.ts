/*
 * npm run bench:leases -- [options]
 *
 * Owner round trips and CPU per 1,000 held sessions per renewal period: a local stack of real
 * processes (metadata, shard nodes, two gateways on one NATS and Postgres). Clients lock every
 * session exclusively and each renews its lock every third of its lease from the moment it got it,
 * as `withLock` does (so the renewals are spread over the period). Variant "batched": the gateway keeps the
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
  let stopped = false;
  let measuring = false;
  let failures = 0;
  let renewals = 0;
  let firstFailure: string | undefined;
  const clients: Promise<void>[] = [];
  const tokens = new Map<string, string>();
  // Each client, as withLock does: acquire, then renew every third of the lease from then on.
  const client = async (id: string, token: string) => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, periodMs));
      if (stopped) return;
      const r = await json(`${base}/v1/sessions/${id}/locks/renew`, stack.apiKey, 'POST', { token, leaseMs });
      if (!measuring) continue;
      renewals++;
      if (r.status !== 200) {
        failures++;
        firstFailure ??= `${r.status} ${JSON.stringify(r.body)}`;
      }
    }
  };
  const acquiring = Date.now();
  await pool(ids, 50, async (id) => {
    const r = await json<{ token: string }>(`${base}/v1/sessions/${id}/locks`, stack.apiKey, 'POST', { mode: 'exclusive', leaseMs });
    if (r.status !== 201) throw new Error(`lock ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    tokens.set(id, r.body.token);
    clients.push(client(id, r.body.token));
  });
  process.stderr.write(`[bench:leases] ${name}: ${ids.length} locks acquired in ${Date.now() - acquiring} ms\n`);
  // One period for every client to renew once (the gateway's leases fall into step), then measure.
  await new Promise((r) => setTimeout(r, periodMs));
  measuring = true;
  const before = await sample(gateway, shards);
  const started = Date.now();
  for (let p = 0; p < args.periods; p++) {
    await new Promise((r) => setTimeout(r, periodMs));
    process.stderr.write(`[bench:leases] ${name}: period ${p + 1}/${args.periods}\n`);
  }
  const after = await sample(gateway, shards);
  const periods = (Date.now() - started) / periodMs;
  measuring = false;
  stopped = true;
  await Promise.all(clients);
  await pool(ids, 50, async (id) => void (await json(`${base}/v1/sessions/${id}/locks/release`, stack.apiKey, 'POST', { token: tokens.get(id) })));
  const per1000 = (x: number) => (x / periods) * (1000 / ids.length);
  const trips = after.trips - before.trips;
  return {
    variant: name,
    clientRenewalsPer1000PerPeriod: +per1000(renewals).toFixed(0),
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
