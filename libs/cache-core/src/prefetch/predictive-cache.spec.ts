import { ManualClock } from '@foresight/time';
import { ForesightPolicy } from '../eviction/foresight-policy';
import { ProtectionTable } from '../eviction/protection-table';
import { DeclaredRequirements } from '../requirements/declared';
import { LearnedRequirements } from '../requirements/learned';
import { RequirementResolver } from '../requirements/resolver';
import { isCacheError } from '../errors';
import { ByteCache } from '../store/byte-cache';
import { PredictiveCache } from './predictive-cache';
import type { ActionPredictor } from './predictor';
import { fakeOrigin, flush } from './test-origin';

/** Deterministic model: after view:n comes view:n+1. */
const nextPage: ActionPredictor = {
  predict: (history) => {
    const n = Number(history[history.length - 1]!.split(':')[1]);
    return [{ action: `view:${n + 1}`, p: 0.9 }];
  },
};

function setup(options: { declare?: boolean; learned?: LearnedRequirements; budget?: number; warm?: boolean } = {}) {
  const clock = new ManualClock();
  const { registry, calls } = fakeOrigin(clock, 20);
  const protection = new ProtectionTable();
  const cache = new ByteCache<string>({ budgetBytes: options.budget ?? 100, policy: new ForesightPolicy({ protection }), clock });
  const declared = new DeclaredRequirements();
  if (options.declare ?? true) declared.declare('view:{id}', ['page:{id}', 'user:{userId}']);
  declared.declare('gone:{id}', ['missing:{id}']); // the fake origin has no missing:* key
  const node = new PredictiveCache<string>({
    cache,
    origins: registry,
    requirements: new RequirementResolver(declared, options.learned),
    learned: options.learned,
    clock,
    predictor: nextPage,
    protection,
    planner: { secondHopWidth: 0 },
    ttlByPattern: { 'page:*': 60_000 },
    defaultSizeBytes: 1,
    warmCurrentAction: options.warm,
  });
  const run = async (ms: number) => {
    clock.advance(ms);
    await flush();
  };
  return { clock, calls, cache, node, protection, run };
}

describe('PredictiveCache', () => {
  it('prefetches what the predicted next action needs, so the next read is a hit', async () => {
    const { node, calls, protection, run } = setup();
    const plan = node.recordAction('s', 'view:1', { userId: 'u1' });
    expect(plan.queued).toEqual(['page:2', 'user:u1']);
    expect(protection.level('page:2')).toBe(0.9);
    await run(20);
    node.recordAction('s', 'view:2', { userId: 'u1' });
    const r = await node.get('s', 'page:2');
    expect(r).toEqual({ value: 'v:page:2', source: 'cache', prefetched: true, waitedMs: 0 });
    expect(calls).toEqual(['page:2', 'user:u1', 'page:3']);
    expect(node.sessionStats('s')).toMatchObject({ hits: 1, prefetchUsed: 1 });
  });

  it('remembers a key its origin does not have for notFoundTtlMs: no second origin call, no prefetch; invalidation forgets it', async () => {
    const { node, calls, run } = setup();
    const read = async () => {
      const p = node.get('s', 'missing:1').then(
        () => 'found',
        (e: unknown) => (isCacheError(e, 'DATA.NOT_FOUND') ? 'not found' : String(e)),
      );
      await run(20);
      return p;
    };
    expect(await read()).toBe('not found');
    expect(await read()).toBe('not found');
    expect(calls.filter((k) => k === 'missing:1')).toHaveLength(1);
    expect(node.absentKeys).toBe(1);
    // A predicted action whose key is known to be absent is not prefetched.
    expect(node.prefetch('s', 'gone:1').queued).toEqual([]);
    node.invalidate('missing:1');
    expect(await read()).toBe('not found');
    expect(calls.filter((k) => k === 'missing:1')).toHaveLength(2);
    await run(5_000); // past the TTL: asked again
    expect(await read()).toBe('not found');
    expect(calls.filter((k) => k === 'missing:1')).toHaveLength(3);
  });

  it('a failed prefetch of a missing key is remembered, and a read joining it does not ask the origin again', async () => {
    const { node, calls, run } = setup();
    expect(node.prefetch('s', 'gone:a').queued).toEqual(['missing:a']);
    const p = node.get('s', 'missing:a').catch((e: unknown) => (isCacheError(e, 'DATA.NOT_FOUND') ? 'not found' : String(e)));
    await run(20);
    expect(await p).toBe('not found');
    expect(calls.filter((k) => k === 'missing:a')).toHaveLength(1);
    expect(node.absentKeys).toBe(1);
  });

  it("restores a taken-over session's history, then plans from it on the next read; a tracked session keeps its own", async () => {
    const { node, calls, run } = setup();
    expect(node.restoreHistory('moved', ['view:6', 'view:7'])).toBe(true);
    expect(node.historyOf('moved')).toEqual(['view:6', 'view:7']);
    expect(calls).toEqual([]); // nothing planned yet
    expect(node.replan('moved').queued).toEqual(['page:8']);
    await run(20);
    expect(await node.get('moved', 'page:8')).toMatchObject({ source: 'cache', prefetched: true });
    expect(node.restoreHistory('moved', ['view:1'])).toBe(false);
    expect(node.historyOf('moved')).toEqual(['view:6', 'view:7']);
  });

  it('reports templates it could not fill', () => {
    const { node } = setup();
    const plan = node.recordAction('s', 'view:1');
    expect(plan.skipped).toEqual([{ template: 'user:{userId}', reason: 'UNBOUND_PLACEHOLDER', detail: 'no value for {userId}' }]);
    expect(plan.queued).toEqual(['page:2']);
  });

  it('a read arriving before the prefetch landed waits only for the rest of it', async () => {
    const { node, calls, run } = setup();
    node.recordAction('s', 'view:1');
    await run(15);
    const p = node.get('s', 'page:2');
    await run(5);
    expect(await p).toMatchObject({ source: 'inflight', waitedMs: 5 });
    expect(calls.filter((k) => k === 'page:2')).toHaveLength(1);
  });

  it('loads a miss on demand and caches it with the pattern TTL', async () => {
    const { node, cache, clock, run } = setup();
    const p = node.get('s', 'page:9');
    await run(20);
    expect(await p).toMatchObject({ source: 'origin', waitedMs: 20 });
    expect(cache.has('page:9')).toBe(true);
    clock.advance(60_000);
    expect(cache.has('page:9')).toBe(false);
  });

  it('drops queued prefetches and protections when the session ends', async () => {
    const { node, protection } = setup();
    node.recordAction('s', 'view:1');
    node.endSession('s');
    expect(protection.level('page:2')).toBe(0);
    expect(node.sessionCount).toBe(0);
  });

  it('rejects a key no origin serves with ORIGIN.NOT_FOUND and a malformed key with CACHE.INVALID_KEY', async () => {
    const { node } = setup();
    await expect(node.get('s', 'bad key')).rejects.toMatchObject({ code: 'CACHE.INVALID_KEY' });
  });

  it('prefetches from learned requirements when nothing is declared', async () => {
    const learned = new LearnedRequirements({ minSupport: 2, minConfidence: 0.5 });
    const { node, run } = setup({ declare: false, learned });
    for (let i = 1; i <= 3; i++) {
      node.recordAction('s', `view:${i}`);
      const read = node.get('s', `page:${i}`);
      await run(20);
      await read;
    }
    const plan = node.recordAction('s', 'view:4');
    expect(plan.queued).toContain('page:5');
  });

  it('plans again after a read without recording an action (replan), and not before the first action', async () => {
    const { node, calls, cache, run } = setup();
    expect(node.replan('s').queued).toEqual([]);
    node.recordAction('s', 'view:1', { userId: 'u1' });
    await run(20);
    expect(calls).toEqual(['page:2', 'user:u1']);
    // The prefetched page was dropped (e.g. invalidated): the next plan fetches it again, once.
    cache.delete('page:2');
    const plan = node.replan('s', { userId: 'u1' });
    expect(plan.queued).toEqual(['page:2']);
    expect(node.replan('s', { userId: 'u1' }).queued).toEqual(['page:2']);
    await run(20);
    expect(calls).toEqual(['page:2', 'user:u1', 'page:2']);
    expect(node.replan('s', { userId: 'u1' }).queued).toEqual([]);
  });

  it('ends every session at shutdown: queued prefetches are cancelled', () => {
    const { node } = setup();
    node.recordAction('a', 'view:1', { userId: 'u1' });
    node.recordAction('b', 'view:5', { userId: 'u2' });
    expect(node.sessionCount).toBe(2);
    node.endAllSessions();
    expect(node.sessionCount).toBe(0);
    expect(node.scheduler.queuedCount).toBe(0);
  });

  it('splits the prefetch budget between live sessions', () => {
    const clock = new ManualClock();
    const { registry } = fakeOrigin(clock, 20);
    const protection = new ProtectionTable();
    const cache = new ByteCache<string>({ budgetBytes: 8, policy: new ForesightPolicy({ protection }), clock });
    const declared = new DeclaredRequirements();
    declared.declare('view:{id}', ['page:{id}']);
    const fanOut: ActionPredictor = { predict: () => ['a', 'b', 'c', 'd', 'e'].map((x, i) => ({ action: `view:${x}`, p: 0.3 - i * 0.01 })) };
    const node = new PredictiveCache<string>({
      cache,
      origins: registry,
      requirements: new RequirementResolver(declared),
      clock,
      predictor: fanOut,
      protection,
      planner: { secondHopWidth: 0 },
      defaultSizeBytes: 1,
      prefetchBudgetShare: 0.5,
    });
    expect(node.recordAction('s1', 'view:x').queued).toEqual(['page:a', 'page:b', 'page:c', 'page:d']);
    expect(node.recordAction('s2', 'view:y').queued).toEqual(['page:a', 'page:b']);
  });

  it('a key invalidated while its load is in flight: the reader gets the value, the cache does not keep it', async () => {
    const { node, cache, calls, run } = setup();
    const stale = node.get('s', 'page:9');
    await run(10);
    expect(node.invalidate('page:9')).toBe(true);
    await run(10);
    expect(await stale).toMatchObject({ source: 'origin', value: 'v:page:9' });
    await node.settled('page:9');
    expect(cache.has('page:9')).toBe(false);
    const fresh = node.get('s', 'page:9');
    await run(20);
    expect(await fresh).toMatchObject({ source: 'origin' });
    expect(cache.has('page:9')).toBe(true);
    expect(calls.filter((k) => k === 'page:9')).toHaveLength(2);
  });

  it('invalidates by predicate: cached values, absent-key memory and loads in flight', async () => {
    const { node, cache, run } = setup();
    const a = node.get('s', 'page:1');
    await run(20);
    await a;
    const inFlight = node.get('s', 'page:2');
    expect(node.invalidateWhere((k) => k.startsWith('page:'))).toBe(2); // one cached, one loading
    expect(cache.has('page:1')).toBe(false);
    await run(20);
    await inFlight;
    expect(cache.has('page:2')).toBe(false);
  });

  it('warms the keys of the action just recorded on the demand lane; the next read finds them as prefetched', async () => {
    const { node, calls, run } = setup({ warm: true });
    node.recordAction('s', 'view:1', { userId: 'u1' });
    // user:u1 is prefetched for the predicted next action already: not loaded twice.
    expect(calls).toEqual(['page:2', 'user:u1', 'page:1']);
    await run(20);
    expect(await node.get('s', 'page:1')).toMatchObject({ source: 'cache', prefetched: true });
    expect(node.scheduler.stats.warmLoads).toBe(1);
    expect(node.warm('view:1', { userId: 'u1' })).toEqual([]); // cached now
  });
});
