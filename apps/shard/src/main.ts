import { loadConfigOrExit, startService } from '@foresight/platform';
import { ShardModule } from './app.module';

/** Shard (cache) node: owns the sessions of its shards, in memory, backed by the event store (S1, S2, S5, S6). */
async function main(): Promise<void> {
  const config = loadConfigOrExit('shard');
  await startService(config, ShardModule.register(config));
}

void main().catch((error: unknown) => {
  process.stderr.write(`shard failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
