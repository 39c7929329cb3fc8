import { connectRpcTransport, loadConfigOrExit, startService } from '@foresight/platform';
import { MetadataModule } from './app.module';
import { MetadataRuntime } from './metadata.runtime';

/** Metadata service: node registry, heartbeats, shard ownership with fencing epochs. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('metadata');
  await startService(config, MetadataModule.register(config), (app) => connectRpcTransport(app, app.get(MetadataRuntime).rpc));
}

void main().catch((error: unknown) => {
  process.stderr.write(`metadata failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
