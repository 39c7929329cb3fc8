import { defineCommand } from '@foresight/cli';

export const appendCli = defineCommand({
  run: 'npm run bench:append --',
  summary:
    "Postgres CPU per durable append on the shard node's write path: the event store's group-committed " +
    'one-event appends (as a PUT makes them) and the clean-up of their outbox rows once published, on an ' +
    'embedded Postgres started for the run; prints the CPU of Postgres and of this process per append and ' +
    'writes .bench-results/append.json. Run the same command on two builds to compare them.',
  options: {
    appends: { type: 'integer', description: 'appends per round', default: 20_000, min: 100 },
    rounds: { type: 'integer', description: 'measured rounds (the median is reported)', default: 3, min: 1 },
    sessions: { type: 'integer', description: 'sessions the appends go to (created first)', default: 500, min: 1 },
    concurrency: { type: 'integer', description: 'appends in flight at once', default: 64, min: 1, max: 10_000 },
    out: { type: 'string', default: '.bench-results/append.json', placeholder: '<file>', description: 'JSON result file' },
  },
  examples: ['nice -n 10 npm run bench:append', 'nice -n 10 node dist/bench/append/main.js --appends 50000 --out .bench-results/append-after.json'],
});
