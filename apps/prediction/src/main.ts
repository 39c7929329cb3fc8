import { loadConfigOrExit, startService } from '@foresight/platform';
import { PredictionModule } from './app.module';

/** Prediction service (issue 3): learns from recorded actions, answers predict(session, n), retrains and stores models. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('prediction');
  await startService(config, PredictionModule.register(config));
}

void main().catch((error: unknown) => {
  process.stderr.write(`prediction failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
