import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../../scripts/local-stack';
import { freePort } from '../../scripts/infra/ports';

/** A Foresight stack started for the benchmark. */
export interface BenchStack {
  readonly gatewayUrl: string;
  readonly apiKey: string;
  readonly databaseUrl: string;
  /** Folder with one log file per service. */
  readonly logDir: string;
  stop(): Promise<void>;
}

/**
 * Starts the local Foresight stack (scripts/local-stack.ts): Postgres (embedded unless
 * `databaseUrl`), nats-server with JetStream, migrations, metadata, `shardNodes` shard nodes and
 * the gateway, each its own process. Service logs go to files in a temp folder, at `logLevel`.
 */
export async function startForesightStack(opts: {
  databaseUrl?: string;
  shardNodes?: number;
  logLevel: string;
}): Promise<BenchStack> {
  const logDir = mkdtempSync(join(tmpdir(), 'foresight-bench-logs-'));
  const stack = await startLocalStack({
    quiet: true,
    gatewayPort: await freePort(),
    shardNodes: opts.shardNodes,
    databaseUrl: opts.databaseUrl,
    logs: logDir,
    env: { LOG_LEVEL: opts.logLevel },
  });
  return { gatewayUrl: stack.gatewayUrl, apiKey: stack.apiKey, databaseUrl: stack.databaseUrl, logDir, stop: () => stack.stop() };
}
