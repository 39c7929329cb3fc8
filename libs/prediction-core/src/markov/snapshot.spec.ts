import { Packr } from 'msgpackr';
import { seededRng } from '@foresight/random';
import { decodeMarkov, encodeMarkov } from './snapshot';
import { VariableOrderMarkov } from './variable-order-markov';

function randomModel(smoothing: 'ppm-c' | 'interpolated' = 'interpolated'): VariableOrderMarkov {
  const rng = seededRng(3);
  const m = new VariableOrderMarkov({ maxOrder: 3, smoothing, vocabularySize: 25 });
  for (let s = 0; s < 200; s++) {
    const session = Array.from({ length: 2 + Math.floor(rng() * 8) }, () => Math.floor(rng() * 20));
    m.observeSession(session);
  }
  return m;
}

function dist(m: VariableOrderMarkov, h: number[]): Float64Array {
  const out = new Float64Array(m.vocabularySize);
  m.distribution(h, out);
  return out;
}

describe('Markov snapshots', () => {
  it('round-trips every count, option and counter', () => {
    const m = randomModel();
    const copy = decodeMarkov(encodeMarkov(m));
    expect(copy.options).toEqual(m.options);
    expect(copy.observations).toBe(m.observations);
    expect(copy.contexts.size).toBe(m.contexts.size);
    for (const h of [[1], [3, 4], [5, 6, 7], [19]]) expect(dist(copy, h)).toEqual(dist(m, h));
  });

  it('keeps learning after a restore exactly as the original would', () => {
    const m = randomModel('ppm-c');
    const copy = decodeMarkov(encodeMarkov(m));
    for (const model of [m, copy]) model.observeSession([1, 2, 3, 21]);
    expect(dist(copy, [2, 3])).toEqual(dist(m, [2, 3]));
    expect(copy.vocabularySize).toBe(25);
  });

  it('is compact: a few bytes per stored count', () => {
    const m = randomModel();
    const entries = [...m.contexts.values()].reduce((s, l) => s + l.size, m.root.size);
    expect(encodeMarkov(m).length).toBeLessThan(entries * 8 + m.contexts.size * 12 + 1024);
  });

  it('refuses garbage with SNAPSHOT_CORRUPT', () => {
    expect(() => decodeMarkov(Buffer.from([0xc1, 1, 2]))).toThrow(expect.objectContaining({ code: 'PREDICTION.SNAPSHOT_CORRUPT' }));
    const bytes = encodeMarkov(randomModel());
    const wire = new Packr({ useRecords: false }).unpack(bytes) as Record<string, unknown>;
    const truncated = new Packr({ useRecords: false }).pack({ ...wire, counts: (wire['counts'] as Buffer).subarray(4) });
    expect(() => decodeMarkov(truncated)).toThrow(expect.objectContaining({ code: 'PREDICTION.SNAPSHOT_CORRUPT' }));
  });

  it('refuses another format version with SNAPSHOT_INCOMPATIBLE', () => {
    const packr = new Packr({ useRecords: false });
    const wire = packr.unpack(encodeMarkov(randomModel())) as Record<string, unknown>;
    expect(() => decodeMarkov(packr.pack({ ...wire, version: 99 }))).toThrow(expect.objectContaining({ code: 'PREDICTION.SNAPSHOT_INCOMPATIBLE' }));
  });
});
