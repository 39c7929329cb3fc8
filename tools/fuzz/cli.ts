import { defineCommand } from '@foresight/cli';

/** Options of `npm run fuzz`. */
export const fuzzCli = defineCommand({
  run: 'npm run fuzz --',
  summary:
    'Starts the local stack (metadata, shard nodes, token, prediction, gateway), sends --count randomized requests to ' +
    'every gateway route (real and forged ids, valid and broken bodies, wrong headers) and reports answers by status; ' +
    'exits 1 on any 5xx, error body outside the documented envelope, request left unanswered or crashed process.',
  options: {
    count: { type: 'integer', min: 1, default: 10_000, description: 'requests to send' },
    seed: { type: 'integer', min: 0, default: 1, description: 'seed of the generator: the same seed sends the same requests' },
    concurrency: { type: 'integer', min: 1, max: 256, default: 8, description: 'requests in flight' },
    sessions: { type: 'integer', min: 1, default: 20, description: 'real sessions created up front, used as ids in paths' },
    'shard-nodes': { type: 'integer', min: 1, default: 1, description: 'shard nodes of the stack' },
    'log-level': { type: 'string', choices: ['fatal', 'error', 'warn', 'info', 'debug'], default: 'warn', description: 'LOG_LEVEL of the services' },
    out: { type: 'string', default: '.bench-results/fuzz.json', placeholder: '<file>', description: 'JSON report' },
  },
  examples: ['npm run fuzz -- --count 100000 --seed 7', 'npm run fuzz -- --count 2000 --concurrency 32'],
});
