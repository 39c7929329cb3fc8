import { PredictionError, requireInt } from '../errors';
import { grown, grownF } from './arrays';
import { NeighbourHeap } from './neighbour-heap';
import { resolveKnnOptions, type ResolvedKnnOptions, type SessionKnnOptions } from './options';

export { resolveKnnOptions, type ResolvedKnnOptions, type SessionKnnOptions } from './options';

/** Scored candidates of one query (reused between queries: copy what you keep). */
export interface KnnScores {
  /** Candidate actions, `actions[0..size)`, in no particular order. */
  readonly actions: Int32Array;
  /** Sum of the similarities of the neighbours holding each candidate. */
  readonly scores: Float64Array;
  readonly size: number;
  /** Neighbours found (0: no session shares an action with the history). */
  readonly neighbours: number;
}

/**
 * Session-based k-nearest-neighbours (V-SKNN): the current session's recent actions, weighted
 * by recency (linear decay: the last action weighs 1, the one n back (n−w)/n), find the
 * sessions that share an action through an action → recent sessions index; the k most similar
 * (cosine of the weighted current session and the neighbour's set of actions) vote for their
 * actions with their similarity. Learns online: sessions are opened and extended as actions
 * arrive; a ring of `maxSessions` sessions bounds memory (the oldest is evicted), and each
 * action keeps only its `postingLimit` most recent sessions.
 *
 * Over 300 lines on purpose: the index and its query share the per-slot and per-action arrays.
 */
export class SessionKnn {
  readonly options: ResolvedKnnOptions;
  /** Session id held by each ring slot (−1: empty). Ids grow by one per opened session. */
  private readonly slotSid: Float64Array;
  private readonly slotItems: (Int32Array | null)[];
  private readonly slotLength: Int32Array;
  private nextSid = 0;
  /** Per action: ring of the most recent session ids holding it. */
  private postings: (Float64Array | null)[] = [];
  private postingHead = new Int32Array(0);
  private postingCount = new Int32Array(0);
  /** Occurrences per action (popularity, the back-off when nothing is shared). */
  private counts = new Float64Array(0);
  private vocab = 1;
  // Query scratch: per-slot similarity accumulators and per-action scores, reset by stamps.
  private readonly acc: Float64Array;
  private readonly accStamp: Int32Array;
  /** Per slot: rank of the most recent shared action (see `stepDecay`). */
  private readonly step: Int32Array;
  /** Per slot: the most recent action of the query it shares (see `afterDecay`). */
  private readonly anchor: Int32Array;
  private touched: Int32Array;
  private itemScore = new Float64Array(0);
  private itemStamp = new Int32Array(0);
  private historyStamp = new Int32Array(0);
  private stamp = 0;
  private readonly result: { actions: Int32Array; scores: Float64Array; size: number; neighbours: number };
  private readonly top: NeighbourHeap;

  constructor(options: SessionKnnOptions = {}) {
    this.options = resolveKnnOptions(options);
    const S = this.options.maxSessions;
    this.slotSid = new Float64Array(S).fill(-1);
    this.slotItems = new Array<Int32Array | null>(S).fill(null);
    this.slotLength = new Int32Array(S);
    this.acc = new Float64Array(S);
    this.accStamp = new Int32Array(S);
    this.step = new Int32Array(S);
    this.anchor = new Int32Array(S);
    this.touched = new Int32Array(1024);
    this.result = { actions: new Int32Array(256), scores: new Float64Array(256), size: 0, neighbours: 0 };
    this.top = new NeighbourHeap(this.options.neighbours);
  }

  /** Actions the index has seen (upper bound of the action indices + 1). */
  get vocabularySize(): number {
    return this.vocab;
  }

  /** Sessions currently held. */
  get sessions(): number {
    return Math.min(this.nextSid, this.options.maxSessions);
  }

  /** Total occurrences of `action` learned (popularity). */
  countOf(action: number): number {
    return this.counts[action] ?? 0;
  }

  /** Sum of all occurrences learned. */
  get totalCount(): number {
    return this.total;
  }

  private total = 0;

  /** Opens a new session (evicting the oldest when the ring is full) and returns its id. */
  open(): number {
    const sid = this.nextSid++;
    const slot = sid % this.options.maxSessions;
    this.slotSid[slot] = sid;
    this.slotLength[slot] = 0;
    return sid;
  }

  /** True while session `sid` is held (not evicted). */
  isLive(sid: number): boolean {
    return sid >= 0 && sid < this.nextSid && this.slotSid[sid % this.options.maxSessions] === sid;
  }

  /** Learns that session `sid` performed `action` (a no-op for an evicted session). */
  append(sid: number, action: number): void {
    requireInt('action', action, 0);
    if (!this.isLive(sid)) return;
    this.grow(action + 1);
    this.counts[action]!++;
    this.total++;
    const slot = sid % this.options.maxSessions;
    const len = this.slotLength[slot]!;
    let items = this.slotItems[slot];
    for (let i = 0; i < len; i++) if (items![i] === action) return;
    if (len >= this.options.maxSessionItems) return;
    if (items === null || items === undefined || items.length <= len) {
      const bigger = new Int32Array(Math.min(this.options.maxSessionItems, Math.max(8, 2 * len)));
      if (items) bigger.set(items.subarray(0, len));
      this.slotItems[slot] = items = bigger;
    }
    items[len] = action;
    this.slotLength[slot] = len + 1;
    this.post(action, sid);
  }

  /** Learns a whole session (opened here); returns its id. */
  observeSession(session: ArrayLike<number>): number {
    const sid = this.open();
    for (let i = 0; i < session.length; i++) this.append(sid, session[i]!);
    return sid;
  }

  /** Distinct actions of a held session, in first-seen order (empty when evicted). */
  sessionItems(sid: number): Int32Array {
    if (!this.isLive(sid)) return new Int32Array(0);
    const slot = sid % this.options.maxSessions;
    return (this.slotItems[slot] ?? new Int32Array(0)).subarray(0, this.slotLength[slot]!);
  }

  /** Held session ids, oldest first. */
  liveSessions(): number[] {
    const out: number[] = [];
    for (let sid = Math.max(0, this.nextSid - this.options.maxSessions); sid < this.nextSid; sid++) if (this.isLive(sid)) out.push(sid);
    return out;
  }

  /**
   * Scores the candidate next actions after `seq[0..len)`. `exclude` is the id of the
   * current session when it is itself in the index (it must not be its own neighbour).
   * `afterDecay` > 0: each neighbour votes only for the actions it took after the most recent
   * action it shares with the session, the d-th of them with weight exp(−(d−1)/afterDecay);
   * 0: for all of its actions alike.
   */
  score(seq: ArrayLike<number>, len: number, exclude = -1, skipSessionItems = this.options.skipSessionItems, afterDecay = this.options.afterDecay): KnnScores {
    const o = this.options;
    const S = o.maxSessions;
    const res = this.result;
    res.size = 0;
    res.neighbours = 0;
    const stamp = this.nextStamp();
    this.ensureCapacity(this.maxAction(seq, len) + 1);
    for (let i = 0; i < len; i++) this.historyStamp[seq[i]!] = stamp;
    // Recency weights of the window's distinct actions (the latest occurrence counts).
    const from = Math.max(0, len - o.historyWindow);
    const n = len - from;
    let touched = 0;
    let norm2 = 0;
    let rank = 0;
    const oldest = this.nextSid - S;
    for (let i = len - 1; i >= from; i--) {
      const a = seq[i]!;
      if (this.itemStamp[a] === stamp) continue;
      this.itemStamp[a] = stamp;
      rank++;
      const w = (i - from + 1) / n;
      norm2 += w * w;
      const list = this.postings[a];
      if (!list) continue;
      const count = this.postingCount[a]!;
      for (let j = 0; j < count; j++) {
        const sid = list[j]!;
        if (sid < oldest || sid === exclude) continue;
        const slot = sid % S;
        if (this.slotSid[slot] !== sid) continue;
        if (this.accStamp[slot] !== stamp) {
          this.accStamp[slot] = stamp;
          this.acc[slot] = 0;
          this.step[slot] = rank;
          this.anchor[slot] = a;
          if (touched === this.touched.length) this.touched = grown(this.touched, 2 * touched);
          this.touched[touched++] = slot;
        }
        this.acc[slot]! += w;
      }
    }
    const k = this.selectNeighbours(touched, Math.sqrt(norm2));
    res.neighbours = k;
    // Neighbours vote with their similarity for each of their actions (see `afterDecay`).
    const itemStamp = this.nextStamp();
    for (let j = 0; j < k; j++) {
      const slot = this.top.slots[j]!;
      const sim = o.stepDecay ? this.top.sims[j]! / this.step[slot]! : this.top.sims[j]!;
      const items = this.slotItems[slot]!;
      const m = this.slotLength[slot]!;
      let i = 0;
      if (afterDecay > 0) {
        const anchor = this.anchor[slot]!;
        while (i < m && items[i] !== anchor) i++;
        i++;
      }
      const first = i;
      for (; i < m; i++) {
        const a = items[i]!;
        if (skipSessionItems && this.historyStamp[a] === stamp) continue;
        const vote = afterDecay > 0 ? sim * Math.exp((first - i) / afterDecay) : sim;
        if (this.itemStamp[a] !== itemStamp) {
          this.itemStamp[a] = itemStamp;
          this.itemScore[a] = 0;
          if (res.size === res.actions.length) {
            res.actions = grown(res.actions, 2 * res.size);
            res.scores = grownF(res.scores, 2 * res.size);
          }
          res.actions[res.size++] = a;
        }
        this.itemScore[a]! += vote;
      }
    }
    for (let i = 0; i < res.size; i++) res.scores[i] = this.itemScore[res.actions[i]!]!;
    return res;
  }

  private nextStamp(): number {
    if (this.stamp >= 0x7fff_fff0) {
      this.stamp = 0;
      this.accStamp.fill(0);
      this.itemStamp.fill(0);
      this.historyStamp.fill(0);
    }
    return ++this.stamp;
  }

  /** Keeps the k touched sessions of highest cosine similarity in `top`. */
  private selectNeighbours(touched: number, norm: number): number {
    const top = this.top;
    top.reset();
    for (let t = 0; t < touched; t++) {
      const slot = this.touched[t]!;
      top.offer(this.acc[slot]! / (norm * Math.sqrt(this.slotLength[slot]!)), slot, this.slotSid[slot]!);
    }
    return top.size;
  }

  private post(action: number, sid: number): void {
    const limit = this.options.postingLimit;
    let list = this.postings[action];
    const count = this.postingCount[action]!;
    if (count < limit) {
      if (!list || list.length === count) {
        const bigger = new Float64Array(Math.min(limit, Math.max(4, 2 * count)));
        if (list) bigger.set(list.subarray(0, count));
        this.postings[action] = list = bigger;
      }
      list[count] = sid;
      this.postingCount[action] = count + 1;
    } else {
      // Full: overwrite the oldest entry (order inside the list does not matter to scoring).
      const head = this.postingHead[action]!;
      list![head] = sid;
      this.postingHead[action] = (head + 1) % limit;
    }
  }

  private maxAction(seq: ArrayLike<number>, len: number): number {
    let m = 0;
    for (let i = 0; i < len; i++) {
      const a = seq[i]!;
      if (!Number.isInteger(a) || a < 0) throw new PredictionError('PREDICTION.INVALID_ARGUMENT', `History actions must be non-negative integers, got ${a}.`);
      if (a > m) m = a;
    }
    return m;
  }

  /** Learns that actions `< size` exist. */
  private grow(size: number): void {
    if (size > this.vocab) this.vocab = size;
    this.ensureCapacity(size);
  }

  /** Makes room in the per-action arrays for actions `< size`. */
  private ensureCapacity(size: number): void {
    if (size <= this.counts.length) return;
    const cap = Math.max(size, 2 * this.counts.length, 64);
    this.counts = grownF(this.counts, cap);
    this.postingHead = grown(this.postingHead, cap);
    this.postingCount = grown(this.postingCount, cap);
    this.itemScore = grownF(this.itemScore, cap);
    this.itemStamp = grown(this.itemStamp, cap);
    this.historyStamp = grown(this.historyStamp, cap);
    this.postings.length = cap;
  }

  /** @internal Widens the action range (snapshot restore). */
  restoreVocabulary(size: number): void {
    this.grow(size);
  }

  /** @internal Restores popularity counts (snapshot restore). */
  restoreCounts(counts: ArrayLike<number>): void {
    this.grow(counts.length);
    this.counts.fill(0);
    this.total = 0;
    for (let a = 0; a < counts.length; a++) {
      this.counts[a] = counts[a]!;
      this.total += counts[a]!;
    }
  }

  /** @internal Popularity counts of actions `[0, vocabularySize)`. */
  countsView(): Float64Array {
    return this.counts.subarray(0, this.vocab);
  }
}
