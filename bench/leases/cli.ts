import { defineCommand } from '@foresight/cli';

/** Options of `npm run bench:leases`. */
export const leasesCli = defineCommand({
  run: 'npm run bench:leases --',
  summary:
    'Holds exclusive locks on many sessions through a local stack of real processes and renews them as withLock does (every third ' +
    'of the lease, spread over the period), once through a gateway that batches renewals per owner node and once through one that ' +
    'sends each renewal on its own (LOCK_RENEW_BATCH_MS=0); reports owner round trips and CPU per 1,000 held sessions per renewal period.',
  options: {
    sessions: { type: 'integer', min: 10, max: 20_000, default: 1000, description: 'sessions locked and renewed' },
    periods: { type: 'integer', min: 1, max: 100, default: 3, description: 'renewal periods measured per variant' },
    'lease-ms': {
      type: 'integer',
      min: 600,
      max: 60_000,
      default: 30_000,
      description: 'lease of every lock (renewed every third of it, the renewals spread over that period)',
    },
    nodes: { type: 'integer', min: 1, max: 8, default: 2, description: 'shard nodes' },
    'batch-ms': { type: 'integer', min: 1, max: 10_000, default: 100, description: 'LOCK_RENEW_BATCH_MS of the batching gateway' },
    out: { type: 'string', default: '.bench-results/leases.json', placeholder: '<file>', description: 'JSON result file' },
  },
  examples: ['npm run bench:leases', 'npm run bench:leases -- --sessions 5000 --periods 10 --lease-ms 6000'],
});
