import { loadConfigOrExit, startService } from '@foresight/platform';
import { MetadataModule } from './app.module';

/** Metadata service: node registry, heartbeats, shard ownership with fencing epochs (S3, S4). */
async function main(): Promise<void> {
  const config = loadConfigOrExit('metadata');
  await startService(config, MetadataModule.register(config));
}

void main().catch((error: unknown) => {
  process.stderr.write(`metadata failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
