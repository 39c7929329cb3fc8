import { connectRpcTransport, loadConfigOrExit, startService } from '@foresight/platform';
import { TokenModule } from './app.module';
import { TokenRuntime } from './token.runtime';

/** Token service: EdDSA access tokens, rotated refresh tokens, JWKS, predictive refresh. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('token');
  await startService(config, TokenModule.register(config), (app) => connectRpcTransport(app, app.get(TokenRuntime).rpc));
}

void main().catch((error: unknown) => {
  process.stderr.write(`token failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
