import { decodeKnn, encodeKnn } from './knn-snapshot';
import { SessionKnnPredictor } from './knn-predictor';
import { SessionKnn } from './session-knn';

/** Scores as a plain map (action → score), for readable expectations. */
function scoresOf(knn: SessionKnn, history: number[], exclude = -1, skip?: boolean): Map<number, number> {
  const s = knn.score(history, history.length, exclude, skip);
  const out = new Map<number, number>();
  for (let i = 0; i < s.size; i++) out.set(s.actions[i]!, s.scores[i]!);
  return out;
}

function dense(p: SessionKnnPredictor, history: number[], width: number): Float64Array {
  const out = new Float64Array(width);
  p.distribution(history, out);
  return out;
}

describe('SessionKnn', () => {
  it('given sessions sharing the current action, when scored, then each neighbour votes its cosine similarity for each of its actions', () => {
    // Given
    const knn = new SessionKnn({ neighbours: 10 });
    knn.observeSession([1, 2]); // shares 1: cos = 1 / (1 · √2)
    knn.observeSession([1, 3, 4]); // shares 1: cos = 1 / √3
    knn.observeSession([5, 6]); // shares nothing
    // When
    const scores = scoresOf(knn, [1]);
    // Then
    expect(knn.score([1], 1).neighbours).toBe(2);
    expect(scores.get(2)).toBeCloseTo(1 / Math.SQRT2, 12);
    expect(scores.get(3)).toBeCloseTo(1 / Math.sqrt(3), 12);
    expect(scores.get(1)).toBeCloseTo(1 / Math.SQRT2 + 1 / Math.sqrt(3), 12);
    expect(scores.has(5)).toBe(false);
  });

  it('given a longer history, when scored, then recent actions weigh more (linear decay) in the similarity', () => {
    // Given: one neighbour shares the older action, one the latest.
    const knn = new SessionKnn();
    knn.observeSession([1, 7]);
    knn.observeSession([2, 8]);
    // When: history [1, 2]: weights 1/2 (action 1) and 1 (action 2), norm √(1/4 + 1).
    const scores = scoresOf(knn, [1, 2], -1, true);
    // Then
    const norm = Math.sqrt(0.25 + 1);
    expect(scores.get(7)).toBeCloseTo(0.5 / (norm * Math.SQRT2), 12);
    expect(scores.get(8)).toBeCloseTo(1 / (norm * Math.SQRT2), 12);
    expect(scores.has(1)).toBe(false);
    expect(scores.has(2)).toBe(false);
  });

  it('given more candidates than k, when scored, then only the k most similar vote (ties: the more recent session)', () => {
    // Given
    const knn = new SessionKnn({ neighbours: 2 });
    knn.observeSession([1, 10]); // cos 1/√2
    knn.observeSession([1, 11]); // cos 1/√2, more recent
    knn.observeSession([1, 12, 13]); // cos 1/√3: the least similar
    knn.observeSession([1, 14]); // cos 1/√2, most recent
    // When
    const scores = scoresOf(knn, [1], -1, true);
    // Then
    expect([...scores.keys()].sort((a, b) => a - b)).toEqual([11, 14]);
  });

  it('given the posting limit, when an action is in more sessions, then only its most recent sessions are candidates', () => {
    // Given
    const knn = new SessionKnn({ postingLimit: 2 });
    knn.observeSession([1, 20]);
    knn.observeSession([1, 21]);
    knn.observeSession([1, 22]);
    // When
    const scores = scoresOf(knn, [1], -1, true);
    // Then
    expect([...scores.keys()].sort((a, b) => a - b)).toEqual([21, 22]);
  });

  it('given the session bound, when a new session opens, then the oldest is evicted and no longer votes', () => {
    // Given
    const knn = new SessionKnn({ maxSessions: 2 });
    const first = knn.observeSession([1, 30]);
    knn.observeSession([1, 31]);
    // When
    knn.observeSession([1, 32]);
    // Then
    expect(knn.isLive(first)).toBe(false);
    expect(knn.sessions).toBe(2);
    expect([...scoresOf(knn, [1], -1, true).keys()].sort((a, b) => a - b)).toEqual([31, 32]);
  });

  it('given a live session in the index, when it is scored with itself excluded, then it is not its own neighbour', () => {
    // Given: sessions learn online, one action at a time.
    const knn = new SessionKnn();
    const other = knn.open();
    const mine = knn.open();
    knn.append(other, 1);
    knn.append(mine, 1);
    knn.append(other, 2);
    knn.append(mine, 3);
    // When
    const scores = scoresOf(knn, [1, 3], mine, true);
    // Then: only the other session votes, for its action 2.
    expect([...scores.keys()]).toEqual([2]);
  });
});

describe('SessionKnnPredictor', () => {
  it('given neighbours, when asked for a distribution, then it is the calibrated vote mixed with the back-off and sums to 1', () => {
    // Given
    const p = SessionKnnPredictor.create({}, null, { exponent: 2, weight: 0.8 });
    p.observeSession([1, 2]);
    p.observeSession([1, 3, 4]);
    // When
    const out = dense(p, [1], 6);
    // Then: votes s(2) = 1/√2, s(3) = s(4) = 1/√3, s(1) = both; squared and normalised.
    const s = { 1: 1 / Math.SQRT2 + 1 / Math.sqrt(3), 2: 1 / Math.SQRT2, 3: 1 / Math.sqrt(3), 4: 1 / Math.sqrt(3) };
    const z = Object.values(s).reduce((sum, v) => sum + v ** 2, 0);
    const popularity = (a: number, count: number) => (count + 1) / (5 + 5); // 5 learned actions, vocabulary 5
    expect(out[2]).toBeCloseTo(0.8 * (s[2] ** 2 / z) + 0.2 * popularity(2, 1), 12);
    expect(out[0]).toBeCloseTo(0.2 * popularity(0, 0), 12);
    expect(out.reduce((sum, v) => sum + v, 0)).toBeCloseTo(1, 12);
  });

  it('given a session that shares nothing, when asked, then the back-off answers alone', () => {
    // Given
    const backoff = { vocabularySize: 4, distributionAt: (_s: ArrayLike<number>, _l: number, out: Float64Array) => out.set([0.1, 0.2, 0.3, 0.4]) };
    const p = SessionKnnPredictor.create({}, backoff);
    p.observeSession([1, 2]);
    // When / Then
    expect([...dense(p, [3], 4)]).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(p.predict([3], 2).map((a) => a.action)).toEqual([3, 2]);
  });

  it('given sessions fed through observe, when one starts with an empty history, then a new session opens', () => {
    // Given
    const p = SessionKnnPredictor.create();
    // When
    p.observe([], 1);
    p.observe([1], 2);
    p.observe([], 1);
    p.observe([1], 3);
    // Then
    expect(p.index.sessions).toBe(2);
    expect([...p.index.sessionItems(0)]).toEqual([1, 2]);
    expect([...p.index.sessionItems(1)]).toEqual([1, 3]);
  });
});

describe('kNN snapshots', () => {
  it('given an index, when encoded and decoded, then it scores and calibrates exactly as before', () => {
    // Given
    const knn = new SessionKnn({ maxSessions: 3, neighbours: 5 });
    for (const s of [
      [1, 2, 3],
      [2, 4],
      [1, 5],
      [3, 4, 6],
      [6, 7, 1],
    ])
      knn.observeSession(s);
    // When
    const { index, calibration } = decodeKnn(encodeKnn(knn, { exponent: 1.5, weight: 0.7 }));
    // Then
    expect(calibration).toEqual({ exponent: 1.5, weight: 0.7 });
    expect(index.sessions).toBe(3);
    for (const h of [[1], [4], [6, 1], [2, 3]]) expect(scoresOf(index, h)).toEqual(scoresOf(knn, h));
    expect(index.countOf(1)).toBe(knn.countOf(1));
    expect(index.vocabularySize).toBe(knn.vocabularySize);
  });

  it('given damaged bytes, when decoded, then a stable error code says so', () => {
    const bytes = encodeKnn(new SessionKnn());
    expect(() => decodeKnn(bytes.subarray(0, 5))).toThrow(expect.objectContaining({ code: 'PREDICTION.SNAPSHOT_CORRUPT' }));
    expect(() => decodeKnn(Buffer.from([0xc0]))).toThrow(expect.objectContaining({ code: 'PREDICTION.SNAPSHOT_CORRUPT' }));
  });
});
