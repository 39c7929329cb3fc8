import { connectRpcTransport, loadConfigOrExit, startService } from '@foresight/platform';
import { ShardModule } from './app.module';
import { ShardRuntime } from './shard.runtime';

/** Shard (cache) node: owns the sessions of its shards, in memory, backed by the event store, and runs the predictive cache. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('shard');
  await startService(config, ShardModule.register(config), (app) => connectRpcTransport(app, app.get(ShardRuntime).transport));
}

void main().catch((error: unknown) => {
  process.stderr.write(`shard failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
