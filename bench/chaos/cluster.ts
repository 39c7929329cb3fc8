import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startLocalStack, type LocalStack, type ServiceProcess } from '../../scripts/local-stack';

/**
 * The cluster under test: a local stack with 3 shard nodes, 2 metadata instances (only the
 * advisory-lock holder rebalances) and 2 gateways, each a real process, logs in a temporary folder.
 */
export interface ChaosCluster {
  readonly stack: LocalStack;
  readonly logDir: string;
  /** The gateways' base URLs: fixed for the whole run (a restarted gateway keeps its port). */
  readonly gatewayUrls: readonly string[];
  /** Live services of one app, by name. */
  live(app: ServiceProcess['app']): ServiceProcess[];
  /** A fresh service name, never used before in this run (`shard-7`, `metadata-3`). */
  freshName(app: 'shard' | 'metadata'): string;
  /** The nodes that own at least one shard, as Postgres (the judge of ownership) says. */
  shardOwners(): Promise<Set<string>>;
  /** The metadata instance that currently holds the rebalancing lock, if one says so. */
  metadataLeader(): Promise<ServiceProcess | undefined>;
  /** Resumes every stopped process: a SIGSTOPped service would never hear the SIGTERM of a shutdown. */
  resumeAll(): void;
  stop(): Promise<void>;
}

export const SHARD_NODES = 3;

/** How slow the `shard-slow` fault makes a node: past the gateways' request timeout. */
export const SLOW_NODE_DELAY_MS = 3000;

export async function startChaosCluster(
  options: {
    leaseMs?: number;
    heartbeatMs?: number;
    /** An existing database (a test's): the stack then starts no Postgres of its own, and the Postgres faults cannot run. */
    databaseUrl?: string;
  } = {},
): Promise<ChaosCluster> {
  const logDir = mkdtempSync(join(tmpdir(), 'foresight-chaos-logs-'));
  const stack = await startLocalStack({
    shardNodes: SHARD_NODES,
    quiet: true,
    logs: logDir,
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    env: {
      LOG_LEVEL: 'warn',
      REBALANCE_MS: '100',
      // The shard-slow fault's hook: every node may be made slow by SIGUSR2 (off until then).
      FORESIGHT_CHAOS_DELAY_MS: String(SLOW_NODE_DELAY_MS),
      FORESIGHT_CHAOS_DELAY_ON_SIGNAL: 'true',
      ...(options.leaseMs ? { LEASE_MS: String(options.leaseMs) } : {}),
      ...(options.heartbeatMs ? { HEARTBEAT_MS: String(options.heartbeatMs) } : {}),
    },
  });
  const counters = { shard: SHARD_NODES, metadata: 1 };
  const cluster: ChaosCluster = {
    stack,
    logDir,
    gatewayUrls: [],
    live: (app) => [...stack.services.values()].filter((s) => s.app === app && s.child.exitCode === null && s.child.signalCode === null),
    freshName: (app) => `${app}-${++counters[app]}`,
    async shardOwners() {
      const db = new Client({ connectionString: stack.databaseUrl });
      await db.connect();
      try {
        const r = await db.query<{ owner_node: string }>('SELECT DISTINCT owner_node FROM shards WHERE owner_node IS NOT NULL');
        return new Set(r.rows.map((row) => row.owner_node));
      } finally {
        await db.end();
      }
    },
    async metadataLeader() {
      for (const s of cluster.live('metadata')) {
        try {
          const text = await (await fetch(`${s.httpUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
          if (/^foresight_metadata_leader(\{[^}]*\})? 1$/m.test(text)) return s;
        } catch {
          /* not answering: not the leader we can kill */
        }
      }
      return undefined;
    },
    resumeAll() {
      for (const s of stack.services.values()) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGCONT');
    },
    async stop() {
      cluster.resumeAll();
      await stack.stop();
    },
  };
  try {
    await stack.startService('metadata', cluster.freshName('metadata'));
    const second = await stack.startService('gateway', 'gateway-2');
    (cluster as { gatewayUrls: readonly string[] }).gatewayUrls = [stack.gatewayUrl, second.httpUrl];
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return cluster;
}
