import { connectRpcTransport, loadConfigOrExit, startService } from '@foresight/platform';
import { PredictionModule } from './app.module';
import { PredictionRuntime } from './prediction.runtime';

/** Prediction service: learns from recorded actions, answers predict(session, n), retrains and stores models. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('prediction');
  await startService(config, PredictionModule.register(config), (app) => connectRpcTransport(app, app.get(PredictionRuntime).rpc));
}

void main().catch((error: unknown) => {
  process.stderr.write(`prediction failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
