import { defineCommand } from '@foresight/cli';

export const publishCli = defineCommand({
  run: 'npm run bench:publish --',
  summary:
    "CPU per JetStream publication of a committed session event, the shard node's way (one reply subscription for " +
    "all publications, JETSTREAM_PUBLISH=pipelined) against nats.js's request per publication (=request), over a " +
    'local nats-server with a file-backed stream, alternating rounds: this process and the nats-server, per ' +
    'publication; prints medians and writes .bench-results/publish.json.',
  options: {
    events: { type: 'integer', description: 'publications per round and mode', default: 20_000, min: 100 },
    rounds: { type: 'integer', description: 'rounds per mode (alternated; the median is reported)', default: 5, min: 1 },
    concurrency: { type: 'integer', description: 'publications in flight at once (commits being published)', default: 64, min: 1, max: 10_000 },
    out: { type: 'string', default: '.bench-results/publish.json', placeholder: '<file>', description: 'JSON result file' },
  },
  examples: ['nice -n 10 npm run bench:publish', 'nice -n 10 npm run bench:publish -- --events 50000 --rounds 7'],
});
