import { defineCommand } from '@foresight/cli';

/** Options of `npm run bench:affinity`; durations in milliseconds once parsed. */
export interface AffinityBenchArgs {
  readonly apache: string | undefined;
  readonly fifa: string | undefined;
  readonly out: string;
  readonly edges: number;
  readonly zones: number;
  readonly idleGapMs: number;
  readonly fifaSpanMs: number;
  readonly maxSessions: number;
  readonly sameZoneRttMs: number;
  readonly otherZoneRttMs: number;
  readonly l1TtlMs: number;
  readonly coldMs: number;
  readonly deadAttemptMs: number;
  readonly leaseMs: number;
  readonly reportMs: number;
  readonly threshold: number;
  readonly kills: number;
  readonly degradations: number;
  readonly seed: number;
}

export const affinityCli = defineCommand({
  run: 'npm run bench:affinity --',
  summary:
    'Replays real request timing (an Apache access log and/or FIFA sessions) against N simulated edges in zones, with ' +
    'edges degrading and failing, and compares session routing policies in one run: the baseline rules, the predictive ' +
    'policy, plain round-robin and plain consistent hashing.',
  options: {
    apache: {
      type: 'string',
      file: 'an Apache combined access log (apache_logs)',
      description: 'access log: sessions by client and idle gap, real timestamps',
    },
    fifa: {
      type: 'string',
      file: 'a session file with one session of page ids per line (FIFA.dat)',
      description: 'session lengths; timing drawn from the access log gaps',
    },
    edges: { type: 'integer', min: 2, max: 256, default: 6, description: 'edges (gateway instances)' },
    zones: { type: 'integer', min: 1, max: 64, default: 3, description: 'zones; edges are spread over them in turn' },
    'idle-gap': { type: 'number', min: 1, default: 1800, placeholder: '<s>', description: 'access-log sessionisation gap' },
    'fifa-span': { type: 'number', min: 1, default: 86_400, placeholder: '<s>', description: 'FIFA sessions start uniformly over this span' },
    'max-sessions': { type: 'integer', min: 1, default: 100_000, description: 'at most this many sessions per trace (the first ones)' },
    'same-zone-rtt': { type: 'number', min: 0, default: 20, placeholder: '<ms>', description: 'median client RTT to an edge of its zone' },
    'other-zone-rtt': { type: 'number', min: 0, default: 90, placeholder: '<ms>', description: 'median client RTT to an edge of another zone' },
    'l1-ttl': { type: 'number', min: 0, default: 60, placeholder: '<s>', description: "how long an edge's cache keeps a session warm after its last request" },
    'cold-ms': { type: 'number', min: 0, default: 25, placeholder: '<ms>', description: 'added to a request an edge serves cold (fetch from the owner)' },
    'dead-attempt-ms': {
      type: 'number',
      min: 0,
      default: 1000,
      placeholder: '<ms>',
      description: 'what an attempt to a dead edge costs before the client tries another',
    },
    lease: {
      type: 'number',
      min: 0.1,
      default: 10,
      placeholder: '<s>',
      description: 'edge lease: a dead edge is taken out of every routing view this long after it dies',
    },
    'report-interval': { type: 'number', min: 1, default: 30, placeholder: '<s>', description: 'client agent report interval' },
    threshold: { type: 'integer', min: 0, max: 100, default: 40, description: 'weight below which a session leaves its edge' },
    kills: { type: 'integer', min: 0, max: 64, default: 2, description: 'edges killed (and restarted later) during each trace' },
    degradations: { type: 'integer', min: 0, max: 64, default: 2, description: 'edges that degrade (RTT ramps up ×4, 8 % errors) during each trace' },
    seed: { type: 'integer', min: 0, default: 1, description: 'seed of client zones, RTTs, errors and event placement' },
    out: { type: 'string', default: '.bench-results/affinity.json', placeholder: '<file>', description: 'JSON output' },
  },
  examples: [
    'npm run bench:affinity -- --apache data/apache-semicomplete/apache_logs --fifa data/fifa98/FIFA.dat',
    'npm run bench:affinity -- --apache access.log --edges 12 --zones 4 --kills 3 --out .bench-results/affinity-12.json',
  ],
  build: (v, fail): AffinityBenchArgs => {
    if (v.apache === undefined && v.fifa === undefined) fail('give --apache, --fifa or both');
    if (v.fifa !== undefined && v.apache === undefined) fail('--fifa takes its request timing from --apache: give both');
    if (v.kills + v.degradations > v.edges - 1) fail(`--kills + --degradations must leave at least one edge untouched (at most ${v.edges - 1})`);
    return {
      apache: v.apache,
      fifa: v.fifa,
      out: v.out,
      edges: v.edges,
      zones: Math.min(v.zones, v.edges),
      idleGapMs: v.idleGap * 1000,
      fifaSpanMs: v.fifaSpan * 1000,
      maxSessions: v.maxSessions,
      sameZoneRttMs: v.sameZoneRtt,
      otherZoneRttMs: v.otherZoneRtt,
      l1TtlMs: v.l1Ttl * 1000,
      coldMs: v.coldMs,
      deadAttemptMs: v.deadAttemptMs,
      leaseMs: v.lease * 1000,
      reportMs: v.reportInterval * 1000,
      threshold: v.threshold,
      kills: v.kills,
      degradations: v.degradations,
      seed: v.seed,
    };
  },
});
