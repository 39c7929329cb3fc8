import { defineCommand } from '@foresight/cli';

/** Options of one peer server process, as the store benchmark starts it. */
export const peerCli = defineCommand({
  run: 'node dist/bench/store/peers/main.js',
  summary:
    'One peer server of the store benchmark (express-session-style JSON blobs in Redis or Postgres behind Fastify), ' +
    'started by npm run bench:store in its own process; tells its parent {type: "ready", port} over IPC once it listens.',
  options: {
    kind: { type: 'string', choices: ['redis', 'postgres'], required: true, description: 'the store behind the server' },
    port: { type: 'integer', min: 1, max: 65_535, required: true, description: 'loopback port to listen on' },
    url: { type: 'string', required: true, placeholder: '<url>', description: 'redis:// or postgres:// URL of the store' },
    'api-key': { type: 'string', required: true, placeholder: '<key>', description: 'the x-api-key every request must carry' },
    ttl: { type: 'integer', min: 1, default: 86_400, placeholder: '<s>', description: 'session TTL' },
    'pg-pool': { type: 'integer', min: 1, default: 10, description: 'pg pool size, postgres only' },
  },
  examples: ['node dist/bench/store/peers/main.js --kind redis --port 7001 --url redis://127.0.0.1:6379 --api-key k'],
});
