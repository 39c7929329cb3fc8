import { loadConfigOrExit, startService } from '@foresight/platform';
import { TokenModule } from './app.module';

/** Token service (issue 5): EdDSA access tokens, rotated refresh tokens, JWKS, predictive refresh. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('token');
  await startService(config, TokenModule.register(config));
}

void main().catch((error: unknown) => {
  process.stderr.write(`token failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
