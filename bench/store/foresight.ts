import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalStack } from '../../scripts/local-stack';
import { freePort } from '../../scripts/infra/ports';
import { BenchError } from './errors';

/** A Foresight stack started for the benchmark. */
export interface BenchStack {
  readonly gatewayUrl: string;
  readonly apiKey: string;
  readonly databaseUrl: string;
  /** `/metrics` of every shard node. */
  readonly shardMetricsUrls: readonly string[];
  /** Folder with one log file per service. */
  readonly logDir: string;
  /** Starts one more gateway (gateway-2, gateway-3 …) on the same stack, on `port` if given, and returns its URL once healthy. */
  addGateway(port?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the local Foresight stack (scripts/local-stack.ts): Postgres (embedded unless
 * `databaseUrl`), nats-server with JetStream, migrations, metadata, `shardNodes` shard nodes and
 * the gateway, each its own process. Service logs go to files in a temp folder, at `logLevel`;
 * the folder is removed on stop and kept when the stack fails to start.
 */
export async function startForesightStack(opts: {
  databaseUrl?: string;
  shardNodes?: number;
  logLevel: string;
  /** The first gateway's port (default: a free one). */
  gatewayPort?: number;
  /** More settings for every service (e.g. REPLICATION). */
  env?: Readonly<Record<string, string>>;
  /** Write a V8 CPU profile of every service into this folder when it exits (`node --cpu-prof`). */
  cpuProfDir?: string;
  /** More embedded Postgres servers for the event store's partitions (see `startLocalStack`). */
  partitionServers?: { readonly count: number; readonly partitions: (urls: readonly string[], databaseUrl: string) => string };
  /** Services besides metadata, shard nodes and the gateway (e.g. the affinity service). */
  extraServices?: readonly 'affinity'[];
}): Promise<BenchStack> {
  const logDir = mkdtempSync(join(tmpdir(), 'foresight-bench-logs-'));
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    stack = await startLocalStack({
      quiet: true,
      gatewayPort: opts.gatewayPort ?? (await freePort()),
      shardNodes: opts.shardNodes,
      databaseUrl: opts.databaseUrl,
      logs: logDir,
      nodeArgs: opts.cpuProfDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', resolve(opts.cpuProfDir)] : undefined,
      ...(opts.partitionServers ? { partitionServers: opts.partitionServers } : {}),
      env: { ...opts.env, LOG_LEVEL: opts.logLevel },
      ...(opts.extraServices ? { extraServices: opts.extraServices } : {}),
    });
  } catch (err) {
    // Keep the logs: they say why a service did not come up.
    throw new BenchError('BENCH.PROCESS_FAILED', `the Foresight stack did not start (service logs in ${logDir}): ${(err as Error).message}`);
  }
  return {
    gatewayUrl: stack.gatewayUrl,
    apiKey: stack.apiKey,
    databaseUrl: stack.databaseUrl,
    shardMetricsUrls: [...stack.services.values()].filter((s) => s.app === 'shard').map((s) => `${s.httpUrl}/metrics`),
    logDir,
    async addGateway(port) {
      const count = [...stack.services.values()].filter((s) => s.app === 'gateway').length;
      return (await stack.startService('gateway', `gateway-${count + 1}`, port === undefined ? {} : { HTTP_PORT: String(port) })).httpUrl;
    },
    async stop() {
      await stack.stop();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}
