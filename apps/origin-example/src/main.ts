import { loadOriginExampleConfig } from '@foresight/config';
import { connectNats } from '@foresight/messaging';
import type { NatsConnection } from 'nats';
import { OriginServer } from './origin-server';

/** Example origin: items of configurable size after configurable latency, over HTTP and optionally NATS. */
async function main(): Promise<void> {
  const config = loadOriginExampleConfig();
  const origin = new OriginServer(config);
  const port = await origin.listen();
  let nc: NatsConnection | undefined;
  if (config.natsSubject) {
    nc = await connectNats({
      servers: config.natsServers,
      user: config.natsAuth.user,
      password: config.natsAuth.password,
      nkeySeed: config.natsAuth.nkeySeed,
      tls: config.natsTls,
      name: 'origin-example',
    });
    origin.serveNats(nc, config.natsSubject);
  }
  process.stdout.write(
    `${JSON.stringify({ msg: 'origin-example ready', port, latencyMs: config.latencyMs, payloadBytes: config.payloadBytes, failureRate: config.failureRate, natsSubject: config.natsSubject ?? null })}\n`,
  );
  const stop = async () => {
    await origin.close();
    await nc?.drain().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  if (config.exitWithParent) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void stop();
    }, 500).unref();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`origin-example failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
