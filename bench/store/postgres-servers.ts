import type { BenchOptions, OpName, PostgresServers } from './cli';
import { startForesightStack } from './foresight';
import { measureForesightRound } from './foresight-rounds';
import type { OpResult } from './load';
import { fmt } from './report';

/** The shards of the local stack (its default SHARD_COUNT). */
const SHARD_COUNT = 1024;

export interface PostgresServersRun {
  readonly servers: PostgresServers;
  /** 1-based; the order of the modes alternates from round to round. */
  readonly round: number;
  readonly results: readonly OpResult[];
  /** Appends written per partition (shard range), from the shard nodes' metrics: shows the split. */
  readonly appendsByPartition: Readonly<Record<string, number>>;
}

export interface PostgresServersRatio {
  readonly op: OpName;
  readonly oneRps: number;
  readonly twoRps: number;
  /** Two servers' req/s over one server's. */
  readonly rpsRatio: number;
  readonly oneCpuMs?: number;
  readonly twoCpuMs?: number;
}

/** `EVENT_STORE_PARTITIONS` for `servers` servers: equal shard ranges, the first on the primary. */
export function evenPartitions(urls: readonly string[], shardCount = SHARD_COUNT): string {
  const servers = ['primary', ...urls];
  const size = Math.ceil(shardCount / servers.length);
  return servers.map((url, i) => `${i * size}-${Math.min(shardCount, (i + 1) * size) - 1}=${url}`).join(',');
}

const mean = (xs: readonly number[]): number | undefined => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);

export function postgresServersRatios(runs: readonly PostgresServersRun[]): PostgresServersRatio[] {
  const ops = [...new Set(runs.flatMap((r) => r.results.map((x) => x.op)))];
  return ops.flatMap((op) => {
    const of = (servers: PostgresServers) => runs.filter((r) => r.servers === servers).flatMap((r) => r.results.filter((x) => x.op === op));
    const one = of(1);
    const two = of(2);
    const oneRps = mean(one.map((r) => r.rps));
    const twoRps = mean(two.map((r) => r.rps));
    if (oneRps === undefined || twoRps === undefined || oneRps === 0) return [];
    const oneCpuMs = mean(one.flatMap((r) => (r.cpu ? [r.cpu.serverCpuMsPerRequest] : [])));
    const twoCpuMs = mean(two.flatMap((r) => (r.cpu ? [r.cpu.serverCpuMsPerRequest] : [])));
    return [{ op, oneRps, twoRps, rpsRatio: twoRps / oneRps, ...(oneCpuMs !== undefined && twoCpuMs !== undefined ? { oneCpuMs, twoCpuMs } : {}) }];
  });
}

export function renderPostgresServersReport(runs: readonly PostgresServersRun[], ratios: readonly PostgresServersRatio[]): string {
  const header = ['round', 'pg servers', 'op', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'CPU ms/req', 'postgres CPU %', 'machine busy %'];
  const rows = runs.flatMap((run) =>
    run.results.map((r) => [
      String(run.round),
      String(run.servers),
      r.op.toUpperCase(),
      fmt(r.rps, 0),
      fmt(r.p50Ms, 2),
      fmt(r.p99Ms, 2),
      String(r.errors),
      String(r.non2xx),
      r.cpu ? fmt(r.cpu.serverCpuMsPerRequest, 3) : '-',
      r.cpu ? fmt(r.cpu.byLabel.postgres ?? 0, 0) : '-',
      r.cpu ? String(r.cpu.machineBusyPct) : '-',
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const pad = (cells: readonly string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const lines = [pad(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(pad), ''];
  for (const run of runs) {
    const split = Object.entries(run.appendsByPartition)
      .map(([p, n]) => `${p}: ${fmt(n, 0)}`)
      .join(', ');
    lines.push(`round ${run.round}, ${run.servers} server(s): appends by partition (shards) ${split || '-'}`);
  }
  lines.push('');
  for (const r of ratios) {
    lines.push(
      `${`${r.op.toUpperCase()} throughput, 2 servers / 1`.padEnd(36)} ${fmt(r.rpsRatio, 3)}x  (mean ${fmt(r.twoRps, 0)} / ${fmt(r.oneRps, 0)} req/s)`,
    );
    if (r.oneCpuMs !== undefined && r.twoCpuMs !== undefined && r.oneCpuMs > 0) {
      lines.push(
        `${''.padEnd(36)}  Foresight CPU per request (Postgres included): ${fmt(r.twoCpuMs, 3)} ms with 2, ${fmt(r.oneCpuMs, 3)} ms with 1 (${fmt(r.twoCpuMs / r.oneCpuMs, 3)}x)`,
      );
    }
  }
  if (ratios.length === 0) lines.push('2/1 ratios need both modes (--postgres-servers 1,2)');
  lines.push('On one machine every server shares its cores: the ratio shows the cost of the split, not the capacity a second machine adds.');
  return lines.join('\n');
}

/** Appends by partition label, summed over the shard nodes' `/metrics` texts. */
export function appendsByPartition(texts: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const text of texts) {
    for (const m of text.matchAll(/^foresight_store_partition_appends_total\{([^}]*)\} ([0-9.e+]+)$/gm)) {
      const labels = m[1] ?? '';
      if (!labels.includes('outcome="ok"')) continue;
      const partition = /partition="([^"]+)"/.exec(labels)?.[1] ?? '?';
      out[partition] = (out[partition] ?? 0) + Number(m[2]);
    }
  }
  return out;
}

/**
 * One local stack per mode and round (1 server: everything on the primary; 2: the shards split in
 * halves, the second half on a second embedded Postgres), seeded, then each op measured; the
 * order of the modes alternates (1,2 then 2,1).
 */
export async function measurePostgresServers(opts: BenchOptions, log: (message: string) => void): Promise<PostgresServersRun[]> {
  const runs: PostgresServersRun[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const order = round % 2 === 1 ? opts.postgresServers : [...opts.postgresServers].reverse();
    for (const servers of order) runs.push(await measureServers(opts, servers, round, log));
  }
  return runs;
}

async function measureServers(opts: BenchOptions, servers: PostgresServers, round: number, log: (message: string) => void): Promise<PostgresServersRun> {
  const label = `round ${round}, ${servers} Postgres server(s)`;
  log(`${label}: starting the local Foresight stack with ${opts.shardNodes ?? 1} shard node(s) ...`);
  const stack = await startForesightStack({
    shardNodes: opts.shardNodes ?? 1,
    logLevel: opts.foresightLogLevel,
    ...(servers > 1 ? { partitionServers: { count: servers - 1, partitions: (urls) => evenPartitions(urls) } } : {}),
  });
  try {
    const { results, shardMetrics: texts } = await measureForesightRound(stack, opts, label, log);
    return { servers, round, results, appendsByPartition: appendsByPartition(texts) };
  } finally {
    await stack.stop();
  }
}
