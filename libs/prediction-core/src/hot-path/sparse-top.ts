import { bucketOf } from '../ensemble/mixing';
import type { MixtureWeights } from '../ensemble/mixture';
import type { SessionKnnPredictor } from '../knn/knn-predictor';
import type { UserBlendedMarkov } from '../markov/user-blend';
import type { ScoredAction } from '../predictor';
import { TopNBuffer } from '../util/top-n';
import type { SparseRow } from './rnn-rows';

/** One position to rank: the history, its user, and the parts' inputs for it. */
export interface SparseQuery {
  readonly seq: readonly number[];
  readonly userId: string | null;
  readonly weights: MixtureWeights;
  /** The RNN row when the weights name the RNN. */
  readonly rnnRow: SparseRow | null;
}

const SAFETY = 1 + 1e-9;

/**
 * Exact top-N of the mixture without a dense vector over the vocabulary (a threshold
 * algorithm): candidates are each part's most likely actions and the session's own, each scored
 * exactly as the dense mixture scores it; the lists deepen until the N-th candidate beats what
 * any unlisted action could reach. Per plan this costs a few dozen exact probabilities instead
 * of several passes over 40k actions. RNN rows hold their kept entries only (see `RnnRowCache`).
 */
export class SparseMixtureTop {
  private readonly votes: Float64Array;
  private readonly inVotes: Uint8Array;
  private readonly rnnDense: Float32Array;
  private readonly seen: Int32Array;
  private readonly inSession: Int32Array;
  private readonly listedAt: Int32Array;
  private readonly listedP: Float64Array;
  private stamp = 0;
  private readonly buffer = new TopNBuffer(64);
  private order = new Int32Array(0);

  constructor(
    private readonly blend: UserBlendedMarkov,
    private readonly knn: SessionKnnPredictor | null,
    readonly width: number,
  ) {
    this.votes = new Float64Array(width);
    this.inVotes = new Uint8Array(width);
    this.rnnDense = new Float32Array(width);
    this.seen = new Int32Array(width);
    this.inSession = new Int32Array(width);
    this.listedAt = new Int32Array(width);
    this.listedP = new Float64Array(width);
  }

  top(q: SparseQuery, n: number): ScoredAction[] {
    const { seq, weights: w } = q;
    const len = seq.length;
    const global = this.blend.global;
    const user = q.userId !== null && this.blend.userWeight(q.userId) > 0 ? q.userId : null;
    const lambda = user === null ? 0 : this.blend.userWeight(user);
    const userModel = user === null ? undefined : this.blend.userModel(user);
    userModel?.growVocabulary(global.vocabularySize);
    // As `UserBlendedMarkov.distribution`: λ·p_user + (1 − λ)·p_global.
    // Actions of the Markov list carry their exact value already; others are looked up.
    const listedStamp = this.nextStamp();
    const pMarkov = (a: number): number =>
      this.listedAt[a] === listedStamp
        ? this.listedP[a]!
        : userModel === undefined
          ? global.probabilityAt(seq, len, a)
          : lambda * userModel.probabilityAt(seq, len, a) + (1 - lambda) * global.probabilityAt(seq, len, a);
    const C = w.components.length;
    const kIdx = w.components.indexOf('knn');
    const rIdx = w.components.indexOf('rnn');

    // kNN votes, normalised as `SessionKnnPredictor.voteInto` does.
    let voteCount = 0;
    let keep = 1;
    let scale = 0;
    const exponent = this.knn?.calibration.exponent ?? 1;
    if (kIdx >= 0 && this.knn !== null) {
      const k = this.knn;
      const s = k.index.score(seq, len, -1, k.skipSessionItems, k.calibration.afterDecay ?? k.index.options.afterDecay);
      let total = 0;
      for (let i = 0; i < s.size; i++) total += s.scores[i]! ** exponent;
      if (s.neighbours > 0 && s.size > 0 && total > 0) {
        keep = 1 - k.calibration.weight;
        scale = k.calibration.weight / total;
        if (this.order.length < s.size) this.order = new Int32Array(Math.max(s.size, 2 * this.order.length));
        for (let i = 0; i < s.size; i++) {
          const a = s.actions[i]!;
          if (a >= this.width) continue;
          this.votes[a] = s.scores[i]!;
          this.inVotes[a] = 1;
          this.order[voteCount++] = a;
        }
        const order = this.order.subarray(0, voteCount);
        order.sort((x, y) => this.votes[y]! - this.votes[x]! || x - y);
      }
    }
    const pKnn = (a: number, pm: number): number => (this.inVotes[a] ? pm * keep + scale * this.votes[a]! ** exponent : scale > 0 ? pm * keep : pm);
    const row = rIdx >= 0 ? q.rnnRow : null;
    if (row !== null) for (let i = 0; i < row.actions.length; i++) if (row.actions[i]! < this.width) this.rnnDense[row.actions[i]!] = row.probs[i]!;

    // Each part's exact value for an action (before the repeat factor), in mixture order.
    const parts = new Float64Array(C);
    const partsOf = (a: number): Float64Array => {
      const pm = pMarkov(a);
      for (let c = 0; c < C; c++) {
        const name = w.components[c];
        parts[c] = name === 'markov' ? pm : name === 'knn' ? pKnn(a, pm) : this.rnnDense[a]!;
      }
      return parts;
    };

    // Repeat factors: the mass each part gives to the session's actions.
    const stamp = this.nextStamp();
    const mass = new Float64Array(C);
    for (let i = 0; i < len; i++) {
      const a = seq[i]!;
      if (a >= this.width || this.inSession[a] === stamp) continue;
      this.inSession[a] = stamp;
      const v = partsOf(a);
      for (let c = 0; c < C; c++) mass[c]! += v[c]!;
    }
    const inside = new Float64Array(C);
    const outside = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const rho = w.repeat[c]!;
      if (rho === 1 || len === 0) {
        inside[c] = 1;
        outside[c] = 1;
        continue;
      }
      const denom = Math.max(1e-300, rho * mass[c]! + 1 - mass[c]!);
      inside[c] = rho / denom;
      outside[c] = 1 / denom;
    }
    const bucket = Math.min(Math.max(bucketOf(w, len, global.evidenceAt(seq, len).count), 0), w.lengthBuckets * w.evidenceBuckets - 1);
    const W = w.weights.slice(bucket * C, (bucket + 1) * C);
    // The same arithmetic, in the same order, as the dense mixture (`mixRows` after `applyRepeatFactor`).
    const score = (a: number): number => {
      const v = partsOf(a);
      const f = this.inSession[a] === stamp ? inside : outside;
      let s = 0;
      for (let c = 0; c < C; c++) if (W[c] !== 0) s += W[c]! * (v[c]! * f[c]!);
      return s;
    };

    const want = Math.min(n, this.width);
    const buf = want <= this.buffer.capacity ? this.buffer : new TopNBuffer(want);
    const scored = this.nextStamp();
    const offer = (a: number): void => {
      if (a >= this.width || this.seen[a] === scored) return;
      this.seen[a] = scored;
      buf.offer(a, score(a));
    };
    try {
      buf.reset(want);
      // Session actions first: their factor differs, so they are not bounded by the lists.
      for (let i = 0; i < len; i++) offer(seq[i]!);
      for (let depth = Math.min(this.width, want + 8); ; depth = Math.min(this.width, depth * 2)) {
        const listed = user === null ? global.predict(seq, depth) : this.blend.predict(user, seq, depth);
        for (const s of listed) {
          if (s.action >= this.width) continue;
          this.listedAt[s.action] = listedStamp;
          this.listedP[s.action] = s.p;
        }
        for (const s of listed) offer(s.action);
        let bound = listed.length < depth ? 0 : listed[depth - 1]!.p;
        const boundM = bound;
        const bounds: number[] = [];
        for (let c = 0; c < C; c++) {
          const name = w.components[c];
          let b = boundM;
          if (name === 'knn' && scale > 0) {
            for (let i = 0; i < Math.min(depth, voteCount); i++) offer(this.order[i]!);
            b = boundM * keep + (depth < voteCount ? scale * this.votes[this.order[depth]!]! ** exponent : 0);
          } else if (name === 'rnn') {
            const r = row?.actions.length ?? 0;
            for (let i = 0; i < Math.min(depth, r); i++) offer(row!.actions[i]!);
            b = depth < r ? row!.probs[depth]! : 0;
          }
          bounds.push(W[c]! * outside[c]! * b);
        }
        bound = bounds.reduce((s, x) => s + x, 0) * SAFETY;
        if (depth >= this.width || (buf.full && buf.floor > bound)) return buf.toArray();
      }
    } finally {
      for (let i = 0; i < voteCount; i++) {
        const a = this.order[i]!;
        this.votes[a] = 0;
        this.inVotes[a] = 0;
      }
      if (row !== null) for (let i = 0; i < row.actions.length; i++) if (row.actions[i]! < this.width) this.rnnDense[row.actions[i]!] = 0;
    }
  }

  private nextStamp(): number {
    if (this.stamp >= 0x7fff_fff0) {
      this.stamp = 0;
      this.seen.fill(0);
      this.inSession.fill(0);
      this.listedAt.fill(0);
    }
    return ++this.stamp;
  }
}
