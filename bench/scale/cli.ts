import { defineCommand } from '@foresight/cli';

/** Options of `npm run bench:scale`. */
export const scaleCli = defineCommand({
  run: 'npm run bench:scale --',
  summary:
    'Serves many sessions (group sizes and skewed access derived from an item-view session trace) on a local stack of 2 shard nodes, ' +
    'scales out to 3 and back in to 2 while serving, once with state transfer on and once off (cold loads from Postgres), and reports ' +
    'bytes moved eagerly against a full copy, time to the first request a new owner serves, request latency during each move against ' +
    'steady state, lazy fetches, Postgres reads, lost acknowledged writes and client errors.',
  options: {
    trace: {
      type: 'string',
      required: true,
      file: 'an item-view trace, one session per line as space-separated item ids (e.g. the Diginetica sessions)',
      placeholder: '<file>',
      description: 'session trace the sessions, their group sizes and their popularity are derived from',
    },
    sessions: { type: 'integer', min: 10, default: 10_000, description: 'sessions created and served' },
    workers: { type: 'integer', min: 1, default: 24, description: 'client loops sending requests (each owns a slice of the sessions, one request at a time)' },
    'steady-s': { type: 'number', min: 1, default: 15, description: 'seconds of steady state measured before each move' },
    'after-s': { type: 'number', min: 0, default: 5, description: 'seconds after a move settles still counted as "during the move"' },
    modes: { type: 'list', choices: ['on', 'off'], default: ['on', 'off'], description: 'TRANSFER settings compared, one fresh stack each, in this order' },
    seed: { type: 'integer', min: 0, default: 1, description: 'random seed of the request mix' },
    out: { type: 'string', default: '.bench-results/scale.json', placeholder: '<file>', description: 'JSON result file' },
  },
  examples: [
    'nice -n 10 npm run bench:scale -- --trace data/diginetica-train.lines',
    'nice -n 10 npm run bench:scale -- --trace data/diginetica-train.lines --sessions 2000 --steady-s 10 --modes on',
  ],
});
