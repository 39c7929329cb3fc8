/*
 * The scaling model: from the CPU each process group spends per operation, the throughput a
 * deployment should reach. Pure functions; the assumptions are parameters with stated defaults
 * (docs/scaling.md explains each one), so a measurement on a larger machine can confirm or refute it.
 */

/** The process groups whose CPU per operation the bench measures and the model uses. */
export const PROCESS_GROUPS = ['gateway', 'shard', 'metadata', 'nats-server', 'postgres'] as const;
export type ProcessGroup = (typeof PROCESS_GROUPS)[number];

/** CPU milliseconds each process group spends per operation. */
export type CpuCost = Readonly<Record<ProcessGroup, number>>;

/** Where the event store's Postgres runs. */
export type PostgresPlacement =
  | { readonly colocated: true }
  | {
      readonly colocated: false;
      /** Postgres servers, each with its own share of the writes. */
      readonly servers: number;
      /** Cores of each Postgres server. */
      readonly cores: number;
    };

/** A deployment to predict: machines, processes and where Postgres runs. */
export interface Deployment {
  readonly label: string;
  /** Machines running gateways, shard nodes, the metadata service and nats-server. */
  readonly nodes: number;
  /** Cores of each such machine the services may use (the load generator runs elsewhere). */
  readonly coresPerNode: number;
  /** Gateway processes in all. */
  readonly gateways: number;
  /** Shard-node processes in all. */
  readonly shardNodes: number;
  /** nats-servers in one cluster (1 = a single server). */
  readonly natsServers: number;
  readonly postgres: PostgresPlacement;
}

/** The model's assumptions; `DEFAULT_ASSUMPTIONS` states the defaults. */
export interface Assumptions {
  /** Share of a busy core's time that turns into requests served (the rest: scheduling, imbalance, GC pauses). */
  readonly efficiency: number;
  /** Cores one Node process can keep busy: its event loop is one thread. */
  readonly coresPerNodeProcess: number;
  /** Group-commit batches each shard node has in flight at once (the event store's committer: 2). */
  readonly commitBatchesInFlight: number;
  /** Most writes in one batch (GROUP_COMMIT_MAX_BATCH, default 512). */
  readonly commitMaxBatch: number;
  /** One commit's wall time on the Postgres server, ms (dominated by the WAL flush). */
  readonly commitMs: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  efficiency: 0.8,
  coresPerNodeProcess: 1,
  commitBatchesInFlight: 2,
  commitMaxBatch: 512,
  commitMs: 2,
};

/** What the model predicts for one operation on one deployment. */
export interface Prediction {
  /** Operations per second: the smallest of the limits. */
  readonly opsPerS: number;
  /** The limit that binds (a key of `limits`). */
  readonly bound: string;
  /** Every limit that applies, in operations per second. */
  readonly limits: Readonly<Record<string, number>>;
}

/**
 * How much nats-server CPU a message costs in a cluster of `servers`, relative to one server: a
 * request goes from the gateway's server to the owner's, which is another server with probability
 * (n − 1) / n, and then both servers handle it.
 */
export function natsClusterFactor(servers: number): number {
  if (!Number.isFinite(servers) || servers < 1) throw new RangeError(`nats servers must be at least 1, got ${servers}`);
  return 1 + (servers - 1) / servers;
}

/** Operations per second that `cores` can serve at `msPerOp` CPU each; unlimited when the cost is zero. */
function capacity(cores: number, msPerOp: number): number {
  return msPerOp > 0 ? (cores * 1000) / msPerOp : Number.POSITIVE_INFINITY;
}

function validate(cost: CpuCost, d: Deployment, a: Assumptions): void {
  for (const g of PROCESS_GROUPS) {
    if (!Number.isFinite(cost[g]) || cost[g] < 0) throw new RangeError(`CPU per op of ${g} must be a finite number ≥ 0, got ${cost[g]}`);
  }
  const positive: Array<[string, number]> = [
    ['nodes', d.nodes],
    ['coresPerNode', d.coresPerNode],
    ['gateways', d.gateways],
    ['shardNodes', d.shardNodes],
    ['natsServers', d.natsServers],
    ['efficiency', a.efficiency],
    ['coresPerNodeProcess', a.coresPerNodeProcess],
    ['commitBatchesInFlight', a.commitBatchesInFlight],
    ['commitMaxBatch', a.commitMaxBatch],
    ['commitMs', a.commitMs],
  ];
  if (!d.postgres.colocated) positive.push(['postgres.servers', d.postgres.servers], ['postgres.cores', d.postgres.cores]);
  for (const [name, value] of positive) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  if (a.efficiency > 1) throw new RangeError(`efficiency is a share of the cores, at most 1, got ${a.efficiency}`);
}

/**
 * The throughput of one operation on a deployment, as the smallest of these limits (ops/s):
 * - `cores`: all the nodes' cores × efficiency over the CPU per op of everything running on them
 *   (nats-server's share scaled by the cluster factor; Postgres's too when it is colocated);
 * - `gateways`, `shard nodes`: each Node process keeps at most `coresPerNodeProcess` busy, and the
 *   load spreads evenly over the processes of a kind (the metadata service is not on the request
 *   path: what it spends counts in the cores, with no limit of its own);
 * - `postgres CPU` (Postgres on its own servers): their cores × efficiency over its CPU per op;
 * - `postgres commits` (writes only): every shard node has `commitBatchesInFlight` batches of at
 *   most `commitMaxBatch` writes in flight, each taking `commitMs`.
 */
export function predictThroughput(op: 'put' | 'get', cost: CpuCost, d: Deployment, a: Assumptions = DEFAULT_ASSUMPTIONS): Prediction {
  validate(cost, d, a);
  const nats = cost['nats-server'] * natsClusterFactor(d.natsServers);
  const pooled = cost.gateway + cost.shard + cost.metadata + nats + (d.postgres.colocated ? cost.postgres : 0);
  const limits: Record<string, number> = {
    cores: capacity(d.nodes * d.coresPerNode * a.efficiency, pooled),
    gateways: capacity(d.gateways * a.coresPerNodeProcess, cost.gateway),
    'shard nodes': capacity(d.shardNodes * a.coresPerNodeProcess, cost.shard),
  };
  if (!d.postgres.colocated) limits['postgres CPU'] = capacity(d.postgres.servers * d.postgres.cores * a.efficiency, cost.postgres);
  if (op === 'put') limits['postgres commits'] = (d.shardNodes * a.commitBatchesInFlight * a.commitMaxBatch * 1000) / a.commitMs;
  let bound = 'cores';
  for (const [name, value] of Object.entries(limits)) if (value < (limits[bound] ?? Number.POSITIVE_INFINITY)) bound = name;
  return { opsPerS: limits[bound] ?? Number.POSITIVE_INFINITY, bound, limits };
}

/** A configuration measured on this machine, as a deployment: one node, Postgres beside the services. */
export function localDeployment(shardNodes: number, gateways: number, serviceCores: number): Deployment {
  return {
    label: `this machine: ${shardNodes} shard node${shardNodes === 1 ? '' : 's'}, ${gateways} gateway${gateways === 1 ? '' : 's'}, ${serviceCores} core${serviceCores === 1 ? '' : 's'}`,
    nodes: 1,
    coresPerNode: serviceCores,
    gateways,
    shardNodes,
    natsServers: 1,
    postgres: { colocated: true },
  };
}

/**
 * The two deployments the model is asked about, larger than this machine:
 * - one 16-core machine running 4 gateways, 4 shard nodes, the metadata service, one nats-server
 *   and Postgres (the load generator elsewhere);
 * - 10 such 16-core nodes, each with 2 gateways, 2 shard nodes and a nats-server of one cluster
 *   of 10, and one Postgres server of 16 cores of its own.
 */
export const LARGER_DEPLOYMENTS: readonly Deployment[] = [
  {
    label: '16-core machine (4 gateways, 4 shard nodes, Postgres on it)',
    nodes: 1,
    coresPerNode: 16,
    gateways: 4,
    shardNodes: 4,
    natsServers: 1,
    postgres: { colocated: true },
  },
  {
    label: '10 nodes × 16 cores (20 gateways, 20 shard nodes, NATS cluster of 10, one 16-core Postgres)',
    nodes: 10,
    coresPerNode: 16,
    gateways: 20,
    shardNodes: 20,
    natsServers: 10,
    postgres: { colocated: false, servers: 1, cores: 16 },
  },
];

/**
 * CPU ms per op of each group from % of one core over a window of `wallS` seconds with `ops`
 * operations, less the group's background CPU (% of one core without load: heartbeats, leases,
 * the outbox relay's polls), which does not grow with the load.
 */
export function costFromCpuPct(
  byLabel: Readonly<Record<string, number>>,
  wallS: number,
  ops: number,
  background: Readonly<Record<string, number>> = {},
): CpuCost {
  const per = (g: ProcessGroup): number => (ops > 0 ? ((Math.max(0, (byLabel[g] ?? 0) - (background[g] ?? 0)) / 100) * wallS * 1000) / ops : 0);
  return { gateway: per('gateway'), shard: per('shard'), metadata: per('metadata'), 'nats-server': per('nats-server'), postgres: per('postgres') };
}

/** Cores the server groups keep busy without load, from % of one core per group. */
export function backgroundCores(background: Readonly<Record<string, number>>): number {
  return PROCESS_GROUPS.reduce((sum, g) => sum + (background[g] ?? 0), 0) / 100;
}

/** Total CPU ms per op over the groups. */
export function totalCost(cost: CpuCost): number {
  return PROCESS_GROUPS.reduce((sum, g) => sum + cost[g], 0);
}
