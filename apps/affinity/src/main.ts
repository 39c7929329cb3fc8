import { Module, type DynamicModule } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { PlatformModule, loadConfigOrExit, startService } from '@foresight/platform';

/** affinity service: boots, connects to NATS, serves /health and /metrics. Its features arrive with their issues. */
@Module({})
class AffinityModule {
  static register(config: ForesightConfig): DynamicModule {
    return { module: AffinityModule, imports: [PlatformModule.forRoot(config, { database: false })] };
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit('affinity');
  await startService(config, AffinityModule.register(config));
}

void main().catch((error: unknown) => {
  process.stderr.write(`affinity failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
