import { NodeHealthWindow } from './node-health';

describe('NodeHealthWindow', () => {
  it('summarises the attempts of the window per node: count, failures, 99th percentile', () => {
    const w = new NodeHealthWindow(1000);
    for (let i = 1; i <= 100; i++) w.record('a', 500, i, i % 10 === 0);
    w.record('b', 600, 7, false);
    expect(w.summary(1000)).toEqual([
      { nodeId: 'a', count: 100, errors: 10, p99Ms: 99 },
      { nodeId: 'b', count: 1, errors: 0, p99Ms: 7 },
    ]);
  });

  it('forgets attempts older than the window, and nodes with none left', () => {
    const w = new NodeHealthWindow(1000);
    w.record('a', 0, 900, true);
    w.record('a', 800, 10, false);
    w.record('b', 100, 10, false);
    expect(w.summary(1500)).toEqual([{ nodeId: 'a', count: 1, errors: 0, p99Ms: 10 }]);
    expect(w.summary(5000)).toEqual([]);
  });

  it('counts attempts still waiting with the time waited so far, and ends them as told', () => {
    const w = new NodeHealthWindow(1000);
    for (let i = 0; i < 49; i++) w.record('a', 150, 5, false);
    const stuck = w.begin('a', 200);
    expect(w.summary(1100)).toEqual([{ nodeId: 'a', count: 50, errors: 0, p99Ms: 900 }]);
    const gaveUp = w.begin('a', 1000);
    w.end(gaveUp, 1050, null);
    w.end(stuck, 1150, true);
    expect(w.summary(1150)).toEqual([{ nodeId: 'a', count: 1, errors: 1, p99Ms: 950 }]);
  });
});
