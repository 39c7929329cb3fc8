/** What to do after an epoch's validation loss. */
export interface EpochDecision {
  /** The loss improved on the best so far: keep these weights as the best. */
  readonly improved: boolean;
  /** The learning rate for the next epoch. */
  readonly learningRate: number;
  /** Stop training (and restore the best weights). */
  readonly stop: boolean;
  readonly reason: 'improving' | 'plateau' | 'patience' | 'max-epochs' | 'time-budget';
}

/** Settings of {@link PlateauSchedule}. */
export interface ScheduleSettings {
  readonly learningRate: number;
  /** Factor applied to the learning rate each time the loss stops improving. */
  readonly decay: number;
  /** Epochs in a row without improvement that end training. */
  readonly patience: number;
  readonly maxEpochs: number;
  /** Relative improvement that counts (default 0.001: a loss must drop by 0.1 %). */
  readonly minDelta?: number;
}

/**
 * Early stopping with reduce-on-plateau: after each epoch the held-out loss either improves
 * (keep going at the same rate) or not (multiply the rate by `decay`); `patience`
 * non-improving epochs in a row, the epoch limit or the time budget end training, and the
 * weights of the best epoch are the result.
 */
export class PlateauSchedule {
  private best = Number.POSITIVE_INFINITY;
  private bestEpoch = 0;
  private strikes = 0;
  private rate: number;
  private epochs = 0;

  constructor(private readonly s: ScheduleSettings) {
    this.rate = s.learningRate;
  }

  get bestLoss(): number {
    return this.best;
  }

  /** 1-based epoch whose weights are the best so far (0: none yet). */
  get bestAt(): number {
    return this.bestEpoch;
  }

  get learningRate(): number {
    return this.rate;
  }

  /** Records an epoch's validation loss; `outOfTime` when the time budget is spent. */
  next(loss: number, outOfTime = false): EpochDecision {
    this.epochs++;
    const significant = Number.isFinite(loss) && loss < this.best * (1 - (this.s.minDelta ?? 0.001));
    if (loss < this.best) {
      this.best = loss;
      this.bestEpoch = this.epochs;
    }
    if (significant) {
      this.strikes = 0;
    } else {
      this.strikes++;
      this.rate *= this.s.decay;
    }
    const better = this.bestEpoch === this.epochs;
    if (outOfTime) return { improved: better, learningRate: this.rate, stop: true, reason: 'time-budget' };
    if (this.epochs >= this.s.maxEpochs) return { improved: better, learningRate: this.rate, stop: true, reason: 'max-epochs' };
    if (this.strikes >= this.s.patience) return { improved: better, learningRate: this.rate, stop: true, reason: 'patience' };
    return { improved: better, learningRate: this.rate, stop: false, reason: significant ? 'improving' : 'plateau' };
  }
}
