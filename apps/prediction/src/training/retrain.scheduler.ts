import type { Log } from '../learning/rebuild';
import type { Trainer } from './trainer';

/**
 * Runs retraining rounds periodically. Ticks every `checkMs` (at most every interval); the round
 * itself checks, in Postgres, whether a model younger than the interval exists, so restarts and
 * several instances do not retrain more often than configured.
 */
export class RetrainScheduler {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly trainer: Trainer,
    private readonly intervalMs: number,
    private readonly checkMs: number,
    private readonly logger: Log,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) {
      this.logger.info({}, 'periodic retraining is off (PREDICTION_RETRAIN_INTERVAL_MS=0)');
      return;
    }
    this.schedule();
  }

  /** Stops ticking; waits briefly for a running round (a long one is abandoned with the process). */
  async stop(waitMs = 2000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.trainer.idle(), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        void this.trainer
          .runRound()
          .then((outcome) => {
            if (outcome.status === 'stored')
              this.logger.info({ version: outcome.version, kind: outcome.kind, activated: outcome.activated }, 'retraining round stored a model');
          })
          .catch((error: unknown) => this.logger.error({ err: error }, 'retraining round failed; serving the current model'))
          .finally(() => this.schedule());
      },
      Math.min(this.intervalMs, this.checkMs),
    );
  }
}
