import { defineCommand } from '@foresight/cli';

/** Options of `npm run bench:failover`. */
export const failoverCli = defineCommand({
  run: 'npm run bench:failover --',
  summary:
    'SIGKILLs a shard node of a local stack under a steady write load, round after round, and measures how long ' +
    'until every shard has a live owner again, what clients saw (errors, slowest request), and whether any acknowledged write was lost.',
  options: {
    nodes: { type: 'integer', min: 2, default: 3, description: 'shard nodes, at least 2: a survivor must take over' },
    writers: { type: 'integer', min: 1, default: 32, description: 'sessions written to concurrently' },
    rounds: { type: 'integer', min: 1, default: 3, description: 'kills, each followed by a fresh node joining' },
    'lease-ms': { type: 'integer', min: 1, default: 3000, description: 'LEASE_MS of the shard nodes' },
    'heartbeat-ms': { type: 'integer', min: 1, default: 250, description: 'HEARTBEAT_MS of the shard nodes' },
    'probe-ms': { type: 'integer', min: 0, default: 100, description: 'FAILURE_PROBE_MS of the metadata service (0: no failure detector, the lease alone)' },
    out: { type: 'string', default: '.bench-results/failover.json', placeholder: '<file>', description: 'JSON result file' },
  },
  examples: ['npm run bench:failover -- --nodes 3 --writers 32 --rounds 3 --lease-ms 3000', 'npm run bench:failover -- --rounds 5 --probe-ms 0'],
});
