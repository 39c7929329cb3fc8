import type { GroupProfile } from './group-profile';

/** Features of one group's profile for a horizon: Poisson chance, recency, periodic due, read share. */
export function accessFeatures(p: GroupProfile, horizonMs: number): [number, number, number, number] {
  const poisson = 1 - Math.exp(-(p.rate * horizonMs) / 1000);
  const recency = Number.isFinite(p.idleMs) ? Math.exp(-p.idleMs / horizonMs) : 0;
  const due = p.pattern === 'periodic' && p.gapMs > 0 && p.idleMs + horizonMs >= p.gapMs && p.idleMs <= 2 * p.gapMs ? 1 : 0;
  return [poisson, recency, due, p.readShare];
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * The chance that a group is accessed within a horizon, by logistic regression over
 * {@link accessFeatures}, learned online from what the profiler sees: each gap between two
 * accesses of a group is a positive or negative example at a point inside it (was the next access
 * within the horizon from there?), and a group never accessed again before its session was forgotten
 * is a negative one. The starting weights encode "recently or often used, or due by its period",
 * so a node that has seen little still plans sensibly.
 */
export class NextAccessModel {
  private readonly w: number[];
  private examples = 0;

  constructor(
    readonly horizonMs: number,
    private readonly learningRate = 0.05,
    weights: readonly number[] = [-2.5, 4, 2.5, 3, 0.5],
  ) {
    this.w = [...weights];
  }

  get weights(): readonly number[] {
    return this.w;
  }

  get trainedOn(): number {
    return this.examples;
  }

  predict(p: GroupProfile): number {
    const x = accessFeatures(p, this.horizonMs);
    return sigmoid(this.w[0] + this.w[1] * x[0] + this.w[2] * x[1] + this.w[3] * x[2] + this.w[4] * x[3]);
  }

  /** One SGD step on the log loss for `profile` and whether the access came within the horizon. */
  learn(p: GroupProfile, accessed: boolean): void {
    const x = accessFeatures(p, this.horizonMs);
    const err = (accessed ? 1 : 0) - this.predict(p);
    const step = this.learningRate * err;
    this.w[0] += step;
    for (let i = 0; i < 4; i++) this.w[i + 1] += step * x[i];
    this.examples++;
  }
}
