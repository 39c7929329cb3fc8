import { Module, type DynamicModule } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { PlatformModule, loadConfigOrExit, startService } from '@foresight/platform';

/** prediction service: boots, connects to NATS, serves /health and /metrics. Its features arrive with their issues. */
@Module({})
class PredictionModule {
  static register(config: ForesightConfig): DynamicModule {
    return { module: PredictionModule, imports: [PlatformModule.forRoot(config, { database: false })] };
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit('prediction');
  await startService(config, PredictionModule.register(config));
}

void main().catch((error: unknown) => {
  process.stderr.write(`prediction failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
