import { loadConfigOrExit, startService } from '@foresight/platform';
import { AffinityModule } from './app.module';

/** Affinity service: boots, connects to NATS, serves /health and /metrics. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('affinity');
  await startService(config, AffinityModule.register(config));
}

void main().catch((error: unknown) => {
  process.stderr.write(`affinity failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
