/*
 * The audit-log example: reads Foresight's session stream as the read-only "subscriber" user with
 * @foresight/events and keeps every session change in audit_log.session_changes, once per event.
 *
 *   DATABASE_URL=postgres://… NATS_URL=nats://127.0.0.1:4222 NATS_USER=subscriber NATS_NKEY_SEED=SU… npm start -w examples/audit-log
 */
import { connectSubscriber, subscribe, type ConsumerProblem } from '@foresight/events';
import { Pool } from 'pg';
import { auditWriter, migrate, type AuditedEvent } from './audit-log';

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    process.stderr.write(`audit-log: set ${name}\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: env('DATABASE_URL'), max: 4 });
  await migrate(pool);
  const writer = auditWriter(pool);
  const nc = await connectSubscriber({
    servers: env('NATS_URL', 'nats://127.0.0.1:4222'),
    user: env('NATS_USER', 'subscriber'),
    nkeySeed: process.env.NATS_NKEY_SEED,
    pass: process.env.NATS_PASSWORD,
  });
  let stored = 0;
  let repeated = 0;
  const record = async (event: AuditedEvent, delivery: Parameters<typeof writer.record>[1]) => {
    if (await writer.record(event, delivery)) stored++;
    else repeated++;
  };
  const subscription = await subscribe(nc, {
    stream: 'sessions',
    namespace: env('FORESIGHT_NAMESPACE', 'fs'),
    durable: env('AUDIT_DURABLE', 'audit-log'),
    maxInFlight: 256,
    handlers: {
      'session.created': record,
      'session.variable_set': record,
      'session.variable_deleted': record,
      'session.ended': record,
    },
    onError: (p: ConsumerProblem) => process.stderr.write(`audit-log: ${p.kind} (${p.action}) seq ${p.sequence ?? '-'}: ${p.detail}\n`),
  });
  process.stdout.write(`audit-log: consuming ${subscription.stream} as ${subscription.name}\n`);
  const report = setInterval(() => process.stdout.write(`audit-log: stored ${stored}, repeated deliveries ${repeated}\n`), 10_000);
  report.unref();

  const shutdown = async () => {
    clearInterval(report);
    await subscription.stop();
    await nc.drain();
    await pool.end();
    process.stdout.write(`audit-log: stopped (stored ${stored}, repeated deliveries ${repeated})\n`);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

main().catch((error: unknown) => {
  process.stderr.write(`audit-log failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
