import { GroupCommitter } from './group-commit';

class DataError extends Error {}

/** A store whose batches are all-or-nothing: a batch holding a "bad" request is refused whole. */
function fakeStore(failure: (batch: readonly string[]) => Error | undefined) {
  const committed: string[] = [];
  const batches: string[][] = [];
  const flush = async (batch: readonly string[]) => {
    batches.push([...batch]);
    await new Promise((r) => setImmediate(r));
    const error = failure(batch);
    if (error) throw error;
    committed.push(...batch);
    return batch.map((r) => `ok:${r}`);
  };
  return { committed, batches, flush };
}

describe('GroupCommitter', () => {
  const requests = Array.from({ length: 40 }, (_, i) => `r${i}`);

  it('isolates a request whose data the store refuses: only it fails, every other commits once', async () => {
    const store = fakeStore((batch) => (batch.includes('r17') ? new DataError('refused r17') : undefined));
    const committer = new GroupCommitter(store.flush, 512, 2, (e) => e instanceof DataError);
    const settled = await Promise.allSettled(requests.map((r) => committer.submit(r)));
    expect(settled[17]).toMatchObject({ status: 'rejected', reason: { message: 'refused r17' } });
    settled.forEach((s, i) => {
      if (i !== 17) expect(s).toEqual({ status: 'fulfilled', value: `ok:r${i}` });
    });
    expect([...store.committed].sort()).toEqual(requests.filter((r) => r !== 'r17').sort());
    // r17 really shared a batch before it was isolated.
    expect(store.batches.some((b) => b.length > 1 && b.includes('r17'))).toBe(true);
  });

  it('isolates several bad requests in one batch', async () => {
    const bad = new Set(['r3', 'r4', 'r30']);
    const store = fakeStore((batch) => (batch.some((r) => bad.has(r)) ? new DataError('refused') : undefined));
    const committer = new GroupCommitter(store.flush, 512, 2, (e) => e instanceof DataError);
    const settled = await Promise.allSettled(requests.map((r) => committer.submit(r)));
    expect(requests.filter((_, i) => settled[i].status === 'rejected')).toEqual(['r3', 'r4', 'r30']);
    expect(store.committed).toHaveLength(requests.length - 3);
  });

  it('fails the whole batch on an error that is not about one request (e.g. a lost connection)', async () => {
    const store = fakeStore((batch) => (batch.includes('r17') ? new Error('connection terminated') : undefined));
    const committer = new GroupCommitter(store.flush, 512, 2, (e) => e instanceof DataError);
    const settled = await Promise.allSettled(requests.map((r) => committer.submit(r)));
    const failed = store.batches.find((b) => b.includes('r17'))!;
    expect(failed.length).toBeGreaterThan(1);
    expect(requests.filter((_, i) => settled[i].status === 'rejected')).toEqual(failed);
    expect(store.batches.filter((b) => b.includes('r17'))).toHaveLength(1);
  });
});
