import type { Clock } from '@foresight/time';
import type { ActionsRepository, PartitionPositions } from './actions.repository';
import type { OnlineModel } from './online-model';

/** What the service logs through (a pino logger fits). */
export interface Log {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Outcome of a rebuild: the position up to which each partition server was read (the consumer skips at or below it). */
export interface RebuildResult {
  readonly horizon: PartitionPositions;
  readonly actions: number;
  readonly seconds: number;
}

/**
 * Rebuilds the online model from the event store: every action event up to the stable horizon P of
 * each partition server, in position order on each. Pauses between pages so the process stays responsive.
 */
export async function rebuildFromStore(
  model: OnlineModel,
  repo: ActionsRepository,
  log: Log,
  clock: Clock,
  pause: () => Promise<void> = () => new Promise((resolve) => setImmediate(resolve)),
): Promise<RebuildResult> {
  const started = clock.now();
  const { positions: horizon, waitedMs } = await repo.stableHorizon();
  let actions = 0;
  let lastLog = started;
  for await (const page of repo.scan(horizon)) {
    for (const a of page) model.learn(a);
    actions += page.length;
    if (clock.now() - lastLog > 5000) {
      lastLog = clock.now();
      const last = page[page.length - 1];
      log.info(
        { actions, partition: last?.partition, position: last?.position, horizon: Object.fromEntries(horizon) },
        'rebuilding the online model from Postgres',
      );
    }
    await pause();
  }
  for (const [partition, position] of horizon) model.advance(partition, position);
  const seconds = (clock.now() - started) / 1000;
  log.info(
    {
      horizon: Object.fromEntries(horizon),
      actions,
      seconds,
      waitedForCommitsMs: waitedMs,
      vocabulary: model.vocabulary.size,
      contexts: model.global.contexts.size,
      undecodable: repo.undecodable,
    },
    'online model rebuilt from Postgres',
  );
  return { horizon, actions, seconds };
}
