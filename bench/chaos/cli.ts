import { defineCommand } from '@foresight/cli';

/** The faults `npm run chaos` knows, in the order it runs them. */
export const FAULTS = [
  'shard-kill',
  'shard-freeze',
  'metadata-leader-kill',
  'gateway-kill',
  'nats-restart',
  'postgres-restart',
  'postgres-down',
  'shard-latency',
  'shard-slow',
  'cluster-restart',
] as const;
export type FaultName = (typeof FAULTS)[number];

/** Options of `npm run chaos`. */
export const chaosCli = defineCommand({
  run: 'npm run chaos --',
  summary:
    'Starts a local cluster (3 shard nodes, 2 metadata instances, 2 gateways, real nats-server and Postgres on loopback), ' +
    'injects each fault several rounds under concurrent writers and readers, and checks the history Jepsen-style: ' +
    'acknowledged writes lost, stale reads, client-visible errors by code, the longest wait, and how soon writes were served again.',
  options: {
    rounds: { type: 'integer', min: 1, default: 3, description: 'rounds per fault' },
    faults: { type: 'list', choices: [...FAULTS], default: [...FAULTS], description: 'faults to inject, in this order' },
    writers: { type: 'integer', min: 1, default: 16, description: 'concurrent writers (each its own session and variable)' },
    readers: { type: 'integer', min: 0, default: 8, description: 'concurrent readers (strong reads of random writers\u2019 variables)' },
    seconds: { type: 'number', min: 1, default: 4, description: 'load before the fault, and again after it has been healed' },
    smoke: { type: 'boolean', description: 'one round per fault, 2 s of load around it: a quick check' },
    json: { type: 'string', default: '.bench-results/chaos.json', placeholder: '<file>', description: 'JSON result file' },
  },
  examples: ['npm run chaos', 'npm run chaos -- --smoke', 'npm run chaos -- --faults shard-kill,postgres-down --rounds 5 --writers 32'],
  build: (v) => (v.smoke ? { ...v, rounds: 1, seconds: Math.min(v.seconds, 2) } : v),
});
export type ChaosArgs = ReturnType<typeof chaosCli.parse>;
