import { defineCommand } from '@foresight/cli';

export const eventsCli = defineCommand({
  run: 'npm run bench:events --',
  summary:
    'What one @foresight/events consumer sustains: events per second it decodes and acks (a pre-filled session stream on a ' +
    'local nats-server, rounds, median), and the lag from the decision of an event to its handler while writers PUT through ' +
    "a local stack's gateway as bench:store does (its sessions, carts and autocannon connections), capped at a rate " +
    "(default: bench:store's measured PUT rate). Writes .bench-results/events.json.",
  options: {
    events: { type: 'integer', description: 'events per throughput round', default: 50_000, min: 100 },
    rounds: { type: 'integer', description: 'throughput rounds (the median is reported)', default: 3, min: 1 },
    'max-in-flight': { type: 'integer', description: "the consumer's maxInFlight", default: 256, min: 1, max: 10_000 },
    rate: { type: 'integer', description: 'PUT/s the writers aim at during the lag measurement (0: uncapped)', default: 1_400, min: 0 },
    duration: { type: 'integer', description: 'measured seconds of writes for the lag measurement (0: skip it)', default: 20, min: 0 },
    warmup: { type: 'integer', description: 'unmeasured seconds of writes before it', default: 3, min: 0 },
    connections: { type: 'integer', description: "writers' HTTP connections (bench:store's default)", default: 64, min: 1, max: 1_000 },
    sessions: { type: 'integer', description: "sessions the writers spread their PUTs over (bench:store's default)", default: 1000, min: 1 },
    seed: { type: 'integer', description: 'RNG seed for sessions, carts and session choice', default: 42, min: 1 },
  },
  examples: [
    'npm run bench:events',
    'npm run bench:events -- --events 100000 --rounds 5',
    'npm run bench:events -- --duration 0',
    'npm run bench:events -- --rate 0',
  ],
});
