import { Module, type DynamicModule } from '@nestjs/common';
import type { ForesightConfig } from '@foresight/config';
import { PlatformModule, loadConfigOrExit, startService } from '@foresight/platform';

/** token service: boots, connects to NATS, serves /health and /metrics. Its features arrive with their issues. */
@Module({})
class TokenModule {
  static register(config: ForesightConfig): DynamicModule {
    return { module: TokenModule, imports: [PlatformModule.forRoot(config, { database: false })] };
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit('token');
  await startService(config, TokenModule.register(config));
}

void main().catch((error: unknown) => {
  process.stderr.write(`token failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
