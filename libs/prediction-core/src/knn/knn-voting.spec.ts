import { createFirstOrderMarkov } from '../markov/first-order';
import { chooseKnnVoting } from './choose-voting';
import { decodeKnn, encodeKnn } from './knn-snapshot';
import { SessionKnnPredictor } from './knn-predictor';
import { SessionKnn } from './session-knn';

function scoresOf(knn: SessionKnn, history: number[], afterDecay: number): Map<number, number> {
  const s = knn.score(history, history.length, -1, true, afterDecay);
  const out = new Map<number, number>();
  for (let i = 0; i < s.size; i++) out.set(s.actions[i]!, s.scores[i]!);
  return out;
}

describe('session-kNN voting after the shared action', () => {
  it('given afterDecay, when scored, then a neighbour votes only for what followed the shared action, less the further after', () => {
    // Given: one neighbour, [5, 1, 2, 3]: 5 came before the shared action 1, then 2 and 3.
    const knn = new SessionKnn();
    knn.observeSession([5, 1, 2, 3]);
    const sim = 1 / Math.sqrt(4);
    // When
    const all = scoresOf(knn, [1], 0);
    const after = scoresOf(knn, [1], 2);
    // Then
    expect(all.get(5)).toBeCloseTo(sim, 12);
    expect(after.has(5)).toBe(false);
    expect(after.get(2)).toBeCloseTo(sim, 12);
    expect(after.get(3)).toBeCloseTo(sim * Math.exp(-1 / 2), 12);
  });

  it('given a longer history, when scored with afterDecay, then the anchor is the most recent action the neighbour shares', () => {
    // Given: the neighbour holds both history actions; the latest (2) anchors it.
    const knn = new SessionKnn();
    knn.observeSession([1, 7, 2, 8]);
    // When
    const after = scoresOf(knn, [1, 2], 4);
    // Then: 7 lies between 1 and 2, so only 8 (right after 2) gets a vote.
    expect([...after.keys()]).toEqual([8]);
  });

  it('given a calibration with afterDecay, when the predictor votes, then it uses it, and a snapshot keeps it', () => {
    // Given
    const knn = new SessionKnn();
    knn.observeSession([5, 1, 2]);
    const calibration = { exponent: 1, weight: 0.9, afterDecay: 4 };
    const p = new SessionKnnPredictor(knn, null, calibration, 'sknn', true);
    const row = new Float64Array(6);
    // When
    p.voteInto([1], 1, row);
    const decoded = decodeKnn(encodeKnn(knn, calibration));
    // Then
    expect(row[5]).toBe(0);
    expect(row[2]).toBeCloseTo(0.9, 12);
    expect(decoded.calibration).toEqual(calibration);
    expect(decodeKnn(encodeKnn(knn, { exponent: 1, weight: 0.9 })).calibration.afterDecay).toBeUndefined();
  });
});

describe('chooseKnnVoting', () => {
  // Sessions walk a ring forward from a random start, so after an action the next one follows;
  // voting for everything a neighbour saw ranks the ring's earlier actions as high.
  function ringSessions(n: number, seed: number): number[][] {
    let x = seed;
    const rand = (): number => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    return Array.from({ length: n }, () => {
      const start = 1 + Math.floor(rand() * 30);
      return Array.from({ length: 6 }, (_, i) => 1 + ((start - 1 + i) % 30));
    });
  }

  it('given sessions that continue from the shared action, when chosen held out, then neighbours vote for what followed', async () => {
    // Given
    const train = ringSessions(400, 7);
    const markov = createFirstOrderMarkov({ vocabularySize: 31 });
    markov.observeSession([1, 2]);
    const knn = new SessionKnn();
    for (const s of train) knn.observeSession(s);
    const positions = ringSessions(50, 11).flatMap((s) => [1, 2, 3, 4, 5].map((len) => ({ seq: s, len, target: s[len]! })));
    // When
    const choice = await chooseKnnVoting(knn, markov, positions, 31);
    // Then
    expect(choice.calibration.afterDecay).toBe(4);
    expect(choice.scores['4']!.mrr20).toBeGreaterThan(choice.scores['0']!.mrr20);
  });

  it('given equal scores, when chosen held out, then the first candidate (vote for all) is kept', async () => {
    const markov = createFirstOrderMarkov({ vocabularySize: 4 });
    const choice = await chooseKnnVoting(new SessionKnn(), markov, [{ seq: [1], len: 1, target: 2 }], 4);
    expect(choice.calibration.afterDecay).toBe(0);
  });
});
