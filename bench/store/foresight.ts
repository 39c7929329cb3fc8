import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /** More settings for every service (e.g. REPLICATION). */
  env?: Readonly<Record<string, string>>;
  /** Services besides metadata, shard nodes and the gateway (e.g. the affinity service). */
  extraServices?: readonly 'affinity'[];
}): Promise<BenchStack> {
  const logDir = mkdtempSync(join(tmpdir(), 'foresight-bench-logs-'));
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    stack = await startLocalStack({
      quiet: true,
      gatewayPort: await freePort(),
      shardNodes: opts.shardNodes,
      databaseUrl: opts.databaseUrl,
      logs: logDir,
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
    async stop() {
      await stack.stop();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}
