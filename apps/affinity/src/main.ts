import { connectRpcTransport, loadConfigOrExit, startService } from '@foresight/platform';
import { AffinityModule } from './app.module';
import { AffinityRuntime } from './affinity.runtime';

/** Affinity service: edge registry, session affinity and routing decisions over NATS; /health and /metrics. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('affinity');
  await startService(config, AffinityModule.register(config), (app) => connectRpcTransport(app, app.get(AffinityRuntime).rpc));
}

void main().catch((error: unknown) => {
  process.stderr.write(`affinity failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
