import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSessions } from './datasets';
import { RankAccumulator } from './metrics';

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'eval-predict-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadSessions', () => {
  it('msnbc: skips % headers and the category-name line', () => {
    const path = file('m.seq', '% Different categories found in input file:\n\nfrontpage news tech\n\n% Sequences:\n\n1 1 \n2 \n3 2 2 4 \n');
    expect(loadSessions(path, 'msnbc')).toEqual([['1', '1'], ['2'], ['3', '2', '2', '4']]);
  });

  it('lines: one session per line, honouring --max-sessions', () => {
    const path = file('f.dat', '1 32 45\n2 86\n\n3 28\n');
    expect(loadSessions(path, 'lines')).toEqual([
      ['1', '32', '45'],
      ['2', '86'],
      ['3', '28'],
    ]);
    expect(loadSessions(path, 'lines', 2)).toHaveLength(2);
  });

  it('tsv: groups consecutive rows by session id, skipping a header', () => {
    const path = file('c.tsv', 'SessionId\tItemId\tTime\ns1\ta\t1\ns1\tb\t2\ns2\tc\t1\n');
    expect(loadSessions(path, 'tsv')).toEqual([['a', 'b'], ['c']]);
  });

  it('says what to pass for a missing file or a directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-predict-'));
    expect(() => loadSessions(join(dir, 'nope.dat'), 'lines')).toThrow(/no such file/);
    expect(() => loadSessions(dir, 'msnbc')).toThrow(/is not a file/);
  });
});

describe('RankAccumulator', () => {
  it('computes Hit@k, MRR@k and NLL', () => {
    const acc = new RankAccumulator('m');
    acc.add(1, 0.5);
    acc.add(4, 0.1);
    const s = acc.summary();
    expect(s.hit['@1']).toBe(0.5);
    expect(s.hit['@5']).toBe(1);
    expect(s.mrr['@5']).toBeCloseTo((1 + 0.25) / 2, 4);
    expect(s.nll).toBeCloseTo((-Math.log(0.5) - Math.log(0.1)) / 2, 4);
  });
});
