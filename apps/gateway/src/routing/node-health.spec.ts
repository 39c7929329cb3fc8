import type { Logger } from '@foresight/observability';
import { ManualClock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { NodeHealthReporter, NodeHealthWindow, DEFAULT_TAKEOVER_ALLOWANCE_MS } from './node-health';

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

/** Node `nodeId` owning shard `shard` at `epoch`. */
const route = (nodeId: string, shard: number, epoch = 1) => ({ nodeId, shard, epoch });

describe('NodeHealthReporter', () => {
  function reporter(urgentMs: number) {
    const clock = new ManualClock(0);
    const sent: Uint8Array[] = [];
    // Only what publishing needs: the subject and the payload are not under test here.
    const nc = { publish: (_subject: string, data: Uint8Array) => sent.push(data) } as unknown as NatsConnection;
    const r = new NodeHealthReporter({ nc, namespace: 'ns', everyMs: 250, windowMs: 2000, clock, logger: {} as Logger, urgentMs });
    return { r, clock, sent };
  }

  it('reports at once when an attempt first waits past the urgent age, once per episode', () => {
    const { r, clock, sent } = reporter(400);
    r.end(r.begin(route('a', 1)), false);
    r.end(r.begin(route('c', 2)), false);
    const waiting = r.begin(route('c', 2));
    clock.advance(399);
    expect(r.publishIfNewlyWaiting()).toBe(false);
    clock.advance(1);
    expect(r.publishIfNewlyWaiting()).toBe(true);
    expect(sent).toHaveLength(1);
    // Still over at the last report: the period carries on, no extra reports.
    clock.advance(100);
    expect(r.publishIfNewlyWaiting()).toBe(false);
    r.end(waiting, false);
    r.publish();
    expect(sent).toHaveLength(2);
    // Over again after a report without: at once again.
    r.begin(route('c', 2));
    clock.advance(400);
    expect(r.publishIfNewlyWaiting()).toBe(true);
    expect(sent).toHaveLength(3);
  });

  it('never reports early without an urgent age', () => {
    const { r, clock, sent } = reporter(0);
    r.begin(route('c', 2));
    clock.advance(5000);
    expect(r.publishIfNewlyWaiting()).toBe(false);
    expect(sent).toHaveLength(0);
  });

  it('counts the attempts on a shard at a new epoch, until its owner has answered there once, only past the takeover allowance or if they time out', () => {
    const { r, clock } = reporter(400);
    const summary = () => r.window.summary(clock.now());
    // The first attempt on shard 7 at epoch 3 (a handoff, a cold load) and one queued behind it.
    const first = r.begin(route('new', 7, 3));
    const queued = r.begin(route('new', 7, 3));
    clock.advance(900);
    expect(summary()).toEqual([]);
    expect(r.publishIfNewlyWaiting()).toBe(false);
    r.end(first, false);
    r.end(queued, false);
    expect(summary()).toEqual([]);
    // Answered once at epoch 3: from now on its attempts there are its own pace.
    const next = r.begin(route('new', 7, 3));
    clock.advance(30);
    r.end(next, false);
    expect(summary()).toEqual([{ nodeId: 'new', count: 1, errors: 0, p99Ms: 30 }]);
    // A move to epoch 4 starts over; a timed-out first attempt still counts against the node.
    const timedOut = r.begin(route('new', 7, 4));
    clock.advance(1999);
    r.end(timedOut, true);
    expect(summary()).toEqual([{ nodeId: 'new', count: 2, errors: 1, p99Ms: 1999 }]);
  });

  it('counts a first attempt that waits past the takeover allowance: a node slow on the shards it gained shows', () => {
    const { r, clock } = reporter(400);
    const stuck = r.begin(route('slow', 9, 2));
    clock.advance(DEFAULT_TAKEOVER_ALLOWANCE_MS - 1);
    expect(r.window.summary(clock.now())).toEqual([]);
    expect(r.publishIfNewlyWaiting()).toBe(false);
    clock.advance(1);
    expect(r.window.summary(clock.now())).toEqual([{ nodeId: 'slow', count: 1, errors: 0, p99Ms: DEFAULT_TAKEOVER_ALLOWANCE_MS }]);
    expect(r.publishIfNewlyWaiting()).toBe(true);
    clock.advance(500);
    r.end(stuck, false);
    expect(r.window.summary(clock.now())).toEqual([{ nodeId: 'slow', count: 1, errors: 0, p99Ms: DEFAULT_TAKEOVER_ALLOWANCE_MS + 500 }]);
  });
});
