import { defineCommand } from '@foresight/cli';
import { DATA_HINT } from '../../../tools/eval-predict/datasets';

export const scaleCheckCli = defineCommand({
  run: 'node dist/apps/prediction/tools/scale-check.js',
  summary:
    'Scale check of the prediction service on real sessions: bulk-loads them into a fresh embedded Postgres as action ' +
    'events, starts the service runtime, measures predict latency over NATS, runs one retraining round and measures ' +
    'again; prints a table and writes .bench-results/prediction-scale.json. Build first (npm run build).',
  options: {
    data: { type: 'string', required: true, file: DATA_HINT, description: 'the session data' },
    format: { type: 'string', choices: ['msnbc', 'lines', 'tsv'], default: 'msnbc', description: 'format of --data' },
    sessions: { type: 'integer', min: 1, default: 20_000, description: 'sessions loaded, the first N of --data' },
    epochs: { type: 'integer', min: 1, default: 2, description: 'PREDICTION_RNN_EPOCHS of the retraining round' },
    hidden: { type: 'integer', min: 1, default: 64, description: 'PREDICTION_RNN_HIDDEN_UNITS of the retraining round' },
    requests: { type: 'integer', min: 1, default: 2000, description: 'predict requests per latency measurement' },
  },
  examples: ['node dist/apps/prediction/tools/scale-check.js --data data/msnbc/msnbc990928.zip --format msnbc --sessions 20000'],
});
