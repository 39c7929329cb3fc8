import { seededRng } from '@foresight/random';
import { SuccessorList } from './successor-list';

function check(list: SuccessorList, expected: Map<number, number>): void {
  expect(list.size).toBe(expected.size);
  expect(list.total).toBe([...expected.values()].reduce((s, c) => s + c, 0));
  for (let i = 1; i < list.size; i++) expect(list.counts[i - 1]).toBeGreaterThanOrEqual(list.counts[i]!);
  for (const [a, c] of expected) {
    expect(list.countOf(a)).toBe(c);
    expect(list.actions[list.positionOf(a)]).toBe(a);
  }
  expect(list.countOf(99_999)).toBe(0);
}

describe.each([
  ['linear/map index', () => new SuccessorList()],
  ['dense index', () => new SuccessorList().useDenseIndex()],
])('SuccessorList (%s)', (_name, make) => {
  it('stays sorted by count with a consistent index under random increments', () => {
    const rng = seededRng(11);
    const list = make();
    const expected = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const a = Math.floor(rng() ** 2 * 60);
      list.increment(a);
      expected.set(a, (expected.get(a) ?? 0) + 1);
      if (i % 500 === 0) check(list, expected);
    }
    check(list, expected);
  });

  it('removes rare successors and keeps the rest indexed', () => {
    const list = make();
    for (const [a, c] of [
      [5, 1],
      [6, 3],
      [7, 2],
      [8, 1],
    ] as const)
      list.increment(a, c);
    expect(list.removeBelow(2)).toBe(2);
    check(
      list,
      new Map([
        [6, 3],
        [7, 2],
      ]),
    );
  });
});
