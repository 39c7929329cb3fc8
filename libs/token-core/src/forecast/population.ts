import { DEFAULT_GAP_MODEL, type GapModel } from './activity';

/**
 * Learns the population {@link GapModel} online from gaps and session ends as they are observed
 * (causal: only the past is used). Blends with a prior through pseudo-counts.
 */
export class PopulationGapModel {
  private gaps = 0;
  private mean = 0;
  private m2 = 0;
  private ends = 0;

  constructor(
    private readonly prior: GapModel = DEFAULT_GAP_MODEL,
    private readonly priorCount = 20,
    /** Gaps shorter than this count as this long (see ActivityOptions.minGapMs). */
    private readonly minGapMs = 1000,
  ) {}

  /** An observed inter-request gap (ms) inside a session. */
  observeGap(gapMs: number): void {
    const x = Math.log(Math.max(gapMs, this.minGapMs, 1));
    this.gaps++;
    const d = x - this.mean;
    this.mean += d / this.gaps;
    this.m2 += d * (x - this.mean);
  }

  /** A session that ended (its idle timeout passed): its last request had no follower. */
  observeSessionEnd(): void {
    this.ends++;
  }

  /** Current model. */
  model(): GapModel {
    const k = this.priorCount;
    const n = this.gaps;
    const mu = (k * this.prior.mu + n * this.mean) / (k + n);
    const sampleVar = n > 1 ? this.m2 / (n - 1) : 0;
    const variance = (k * this.prior.sigma ** 2 + n * sampleVar) / (k + n);
    const continueProb = (k * this.prior.continueProb + n) / (k + n + this.ends);
    return { mu, sigma: Math.sqrt(variance), continueProb };
  }
}
