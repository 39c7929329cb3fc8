import type { LocalNats } from '../../scripts/infra/nats-server';
import type { LocalPostgres } from '../../scripts/infra/postgres';

export default async function globalTeardown(): Promise<void> {
  const infra = (globalThis as Record<string, unknown>).__foresightInfra as { nats: LocalNats; pg: LocalPostgres } | undefined;
  if (!infra) return;
  await Promise.allSettled([infra.nats.stop(), infra.pg.stop()]);
}
