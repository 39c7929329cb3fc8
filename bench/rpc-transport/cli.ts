import { defineCommand } from '@foresight/cli';

export const rpcTransportCli = defineCommand({
  run: 'npm run bench:rpc-transport --',
  summary:
    'CPU per request of a shard-like handler served through the Nest transport (@RpcOp controller) against the ' +
    'same handler on a plain serveRpc map, over a local nats-server, alternating rounds; prints medians and writes ' +
    '.bench-results/rpc-transport.json.',
  options: {
    requests: { type: 'integer', description: 'requests per round and op', default: 20_000, min: 100 },
    rounds: { type: 'integer', description: 'rounds per variant (alternated; the median is reported)', default: 7, min: 1 },
    concurrency: { type: 'integer', description: 'requests in flight at once', default: 64, min: 1, max: 10_000 },
  },
  examples: ['npm run bench:rpc-transport', 'npm run bench:rpc-transport -- --requests 50000 --rounds 11'],
});
