import { EnvReader } from '@foresight/config';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { startLocalStack } from './local-stack';

/**
 * `npm start`: the whole stack on this machine. Embedded Postgres (data in .data/postgres) unless
 * DATABASE_URL is set; a local nats-server with JetStream (.data/nats) and one user per service
 * (new nkeys for each run) unless NATS_URL is set. Ctrl-C stops everything it started.
 */
async function main(): Promise<void> {
  const env = new EnvReader(process.env);
  const root = resolve(__dirname, '..', '..');
  const gatewayPort = env.int('GATEWAY_PORT', 3000, 1, 65535);
  const shardNodes = env.int('SHARD_NODES', 2, 1, 16);
  const databaseUrl = env.optional('DATABASE_URL');
  const natsUrl = env.optional('NATS_URL');
  const natsPort = env.int('NATS_PORT', 4222, 1, 65535);
  const shop = ['1', 'true'].includes(env.oneOf('EXAMPLE_SHOP', ['0', '1', 'false', 'true'] as const, '0'));
  const shopPort = env.int('EXAMPLE_SHOP_PORT', 3080, 1, 65535);
  if (env.problems.length > 0) throw new Error(env.problems.join('; '));

  const stack = await startLocalStack({
    shardNodes,
    gatewayPort,
    databaseUrl,
    natsUrl,
    natsServer: { storeDir: join(root, '.data', 'nats'), port: natsPort },
    postgresDataDir: join(root, '.data', 'postgres'),
    extraServices: ['prediction', 'token', 'affinity'],
    // The example origin (20 ms, 1 KiB items) backs every data key of the predictive cache.
    originExample: { env: { ORIGIN_LATENCY_MS: env.string('ORIGIN_LATENCY_MS', '20') } },
    logs: 'inherit',
    env: { LOG_LEVEL: env.string('LOG_LEVEL', 'warn') },
  });
  const g = stack.gatewayUrl;
  // The seeds of the users a person connects as (the config holds public keys only), beside it, 0600.
  const seedsFile = stack.natsConfigFile ? join(dirname(stack.natsConfigFile), 'seeds.env') : undefined;
  if (seedsFile) {
    const lines = (['subscriber', 'operator'] as const).map((role) => `NATS_${role.toUpperCase()}_NKEY_SEED=${stack.natsLogin({ role })?.seed ?? ''}`);
    writeFileSync(seedsFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  }
  // The example shop (examples/express-shop) beside the stack: express-session on the Foresight store.
  let shopProcess: ChildProcess | undefined;
  if (shop) {
    shopProcess = spawn(process.execPath, [join(root, 'dist', 'examples', 'express-shop', 'src', 'main.js')], {
      env: { ...process.env, FORESIGHT_URL: g, FORESIGHT_API_KEY: stack.apiKey, PORT: String(shopPort), ORIGIN_URL: stack.originUrl ?? '' },
      stdio: 'inherit',
    });
  }
  process.stdout.write(
    [
      '',
      'Foresight is running.',
      `  gateway   ${g}/v1/sessions   (header x-api-key: ${stack.apiKey})`,
      `  OpenAPI   ${g}/docs`,
      `  health    ${g}/health`,
      `  metrics   ${g}/metrics`,
      `  dashboard ${g}/dashboard   (any user name; password: an operator key, dev-operator-key unless FORESIGHT_OPERATOR_KEYS is set)`,
      `  origin    ${stack.originUrl}/items/<key>   (example origin behind GET ${g}/v1/sessions/<id>/data/<key>)`,
      ...(shop ? [`  shop      http://127.0.0.1:${shopPort}/   (examples/express-shop: express-session on the Foresight store)`] : []),
      `  services  ${[...stack.services.values()].map((s) => `${s.name}=${s.httpUrl}`).join('  ')}`,
      `  postgres  ${stack.databaseUrl}`,
      `  nats      ${stack.natsUrl}${seedsFile ? `   (nkey seeds of subscriber and operator for this run: ${seedsFile})` : ''}`,
      '',
      `Try: curl -s -XPOST ${g}/v1/sessions -H 'x-api-key: ${stack.apiKey}' -H 'content-type: application/json' -d '{"data":{"cart":{"items":[]}}}'`,
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping every service, nats-server and postgres ...\n`);
    shopProcess?.kill('SIGTERM');
    await stack.stop();
    process.stdout.write('stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`could not start Foresight: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
