import { IndexedHeap } from '@foresight/heap';
import { isCacheError, requireInt } from '../errors';
import type { OriginRegistry } from '../origin/origin-registry';
import type { OriginResponse, ResilientOrigin } from '../origin/resilient-origin';

/** One key a session would like prefetched. */
export interface PrefetchRequest {
  readonly key: string;
  /** Higher runs first (see `prefetchPriority`). */
  readonly priority: number;
}

/** Options of {@link FetchScheduler}. */
export interface FetchSchedulerOptions<V> {
  readonly origins: OriginRegistry<V>;
  /** Receives each completed prefetch that no reader joined (readers store their own result). */
  readonly onPrefetched: (key: string, response: OriginResponse<V>) => void;
  /** Called when a prefetch fails (its error), e.g. to remember keys the origin does not have. */
  readonly onPrefetchFailed?: (key: string, error: unknown) => void;
  /** Most queued prefetches per owner (session); the lowest priorities are dropped (default 32). */
  readonly maxQueuedPerOwner?: number;
  /** Abort an in-flight prefetch when no owner wants it any more (default false: let it land). */
  readonly abortStale?: boolean;
}

/** Counters since creation. */
export interface SchedulerStats {
  demandLoads: number;
  /** Demand reads that joined a prefetch already in flight. */
  demandJoined: number;
  /** Demand reads that took over a queued prefetch. */
  promoted: number;
  prefetchStarted: number;
  prefetchCompleted: number;
  prefetchFailed: number;
  /** Queued prefetches dropped because their session moved on. */
  prefetchCancelled: number;
  /** Prefetch requests for a key already queued or in flight. */
  prefetchDeduplicated: number;
  /** Prefetch requests refused because the origin's circuit is open or no origin serves the key. */
  prefetchRefused: number;
}

interface Flight<V> {
  readonly promise: Promise<OriginResponse<V>>;
  readonly lane: 'demand' | 'prefetch';
  /** Only when stale prefetches may be aborted (an AbortController per load is not free). */
  readonly controller: AbortController | undefined;
  readonly owners: Set<string>;
  demanded: boolean;
}

interface Queued<V> {
  readonly key: string;
  readonly origin: ResilientOrigin<V>;
  readonly owners: Map<string, number>;
}

/**
 * Two lanes of origin loads. Demand loads start at once and are never queued behind prefetches;
 * prefetches wait in a per-origin priority queue and run with bounded concurrency per origin.
 * A key is never loaded twice at once: a demand read joins an in-flight prefetch or takes over a
 * queued one. Each owner (session) replaces its queued prefetches on every {@link schedule}, so
 * entries for a step the session has left are cancelled before they cost anything.
 */
export class FetchScheduler<V> {
  readonly stats: SchedulerStats = {
    demandLoads: 0,
    demandJoined: 0,
    promoted: 0,
    prefetchStarted: 0,
    prefetchCompleted: 0,
    prefetchFailed: 0,
    prefetchCancelled: 0,
    prefetchDeduplicated: 0,
    prefetchRefused: 0,
  };
  private readonly flights = new Map<string, Flight<V>>();
  private readonly queued = new Map<string, Queued<V>>();
  private readonly queues = new Map<ResilientOrigin<V>, IndexedHeap>();
  private readonly running = new Map<ResilientOrigin<V>, number>();
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly maxPerOwner: number;

  constructor(private readonly o: FetchSchedulerOptions<V>) {
    this.maxPerOwner = requireInt('maxQueuedPerOwner', o.maxQueuedPerOwner ?? 32, 0);
  }

  /** True while `key` is being loaded. */
  isInFlight(key: string): boolean {
    return this.flights.has(key);
  }

  /** Number of queued prefetches. */
  get queuedCount(): number {
    return this.queued.size;
  }

  /** Prefetches running against `origin`. */
  runningPrefetches(origin: ResilientOrigin<V>): number {
    return this.running.get(origin) ?? 0;
  }

  /** Loads `key` for a waiting reader: joins an in-flight load, else starts one now. `joined` tells which. */
  demand(key: string): { promise: Promise<OriginResponse<V>>; joined: boolean } {
    const flight = this.flights.get(key);
    if (flight !== undefined) {
      flight.demanded = true;
      if (flight.lane === 'demand') return { promise: flight.promise, joined: true };
      this.stats.demandJoined++;
      // A prefetch is not retried; if it fails, the reader still gets a full demand load.
      // A failed prefetch is retried as a demand load, unless the origin said the key does not exist.
      return { promise: flight.promise.catch((e: unknown) => (isCacheError(e, 'DATA.NOT_FOUND') ? Promise.reject(e) : this.startDemand(key))), joined: true };
    }
    if (this.queued.has(key)) {
      this.stats.promoted++;
      this.dequeue(key);
    }
    return { promise: this.startDemand(key), joined: false };
  }

  /**
   * Replaces the queued prefetches of `owner` by `requests`: keys no longer requested are
   * cancelled (unless another owner still wants them), new ones are queued, then queues are pumped.
   */
  schedule(owner: string, requests: readonly PrefetchRequest[]): void {
    const wanted = [...requests].sort((a, b) => b.priority - a.priority).slice(0, this.maxPerOwner);
    const keep = new Set(wanted.map((r) => r.key));
    for (const key of this.byOwner.get(owner) ?? []) if (!keep.has(key)) this.release(owner, key);
    const mine = new Set<string>();
    for (const r of wanted) {
      const flight = this.flights.get(r.key);
      if (flight !== undefined) {
        if (!flight.owners.has(owner)) this.stats.prefetchDeduplicated++;
        flight.owners.add(owner);
        mine.add(r.key);
        continue;
      }
      const origin = this.o.origins.find(r.key);
      if (origin === undefined || !origin.available) {
        this.stats.prefetchRefused++;
        continue;
      }
      let q = this.queued.get(r.key);
      if (q === undefined) {
        q = { key: r.key, origin, owners: new Map() };
        this.queued.set(r.key, q);
      } else if (!q.owners.has(owner)) this.stats.prefetchDeduplicated++;
      q.owners.set(owner, r.priority);
      this.queueOf(origin).set(r.key, -Math.max(...q.owners.values()));
      mine.add(r.key);
    }
    if (mine.size > 0) this.byOwner.set(owner, mine);
    else this.byOwner.delete(owner);
    this.pump();
  }

  /** Cancels everything `owner` queued (the session ended). */
  cancelOwner(owner: string): void {
    this.schedule(owner, []);
  }

  private startDemand(key: string): Promise<OriginResponse<V>> {
    const origin = this.o.origins.resolve(key);
    this.stats.demandLoads++;
    const promise = origin.load(key, 'demand');
    const flight: Flight<V> = { promise, lane: 'demand', controller: undefined, owners: new Set(), demanded: true };
    this.flights.set(key, flight);
    const done = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    promise.then(done, done);
    return promise;
  }

  private startPrefetch(q: Queued<V>): void {
    const { key, origin } = q;
    this.stats.prefetchStarted++;
    this.running.set(origin, this.runningPrefetches(origin) + 1);
    const controller = this.o.abortStale ? new AbortController() : undefined;
    const promise = origin.load(key, 'prefetch', controller?.signal);
    const flight: Flight<V> = { promise, lane: 'prefetch', controller, owners: new Set(q.owners.keys()), demanded: false };
    this.flights.set(key, flight);
    promise.then(
      (res) => {
        this.finish(key, flight, origin);
        this.stats.prefetchCompleted++;
        if (!flight.demanded) this.o.onPrefetched(key, res);
        this.pump();
      },
      (error: unknown) => {
        this.finish(key, flight, origin);
        this.stats.prefetchFailed++;
        this.o.onPrefetchFailed?.(key, error);
        this.pump();
      },
    );
  }

  private finish(key: string, flight: Flight<V>, origin: ResilientOrigin<V>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
    for (const owner of flight.owners) this.forget(owner, key);
    this.running.set(origin, this.runningPrefetches(origin) - 1);
  }

  private pump(): void {
    for (const [origin, heap] of this.queues) {
      while (heap.size > 0 && this.runningPrefetches(origin) < origin.maxPrefetchConcurrency && origin.available) {
        const key = heap.peek()!;
        const q = this.queued.get(key)!;
        this.dequeue(key, true);
        this.startPrefetch(q);
      }
    }
  }

  private release(owner: string, key: string): void {
    const q = this.queued.get(key);
    if (q !== undefined) {
      q.owners.delete(owner);
      if (q.owners.size === 0) {
        this.dequeue(key);
        this.stats.prefetchCancelled++;
      } else this.queueOf(q.origin).set(key, -Math.max(...q.owners.values()));
      return;
    }
    const flight = this.flights.get(key);
    if (flight === undefined) return;
    flight.owners.delete(owner);
    this.forget(owner, key);
    if (this.o.abortStale && flight.lane === 'prefetch' && !flight.demanded && flight.owners.size === 0) flight.controller?.abort();
  }

  /** Removes `key` from the queue; its owners keep it (as in flight) when `starting`. */
  private dequeue(key: string, starting = false): void {
    const q = this.queued.get(key);
    if (q === undefined) return;
    this.queued.delete(key);
    this.queueOf(q.origin).delete(key);
    if (!starting) for (const owner of q.owners.keys()) this.forget(owner, key);
  }

  private forget(owner: string, key: string): void {
    const set = this.byOwner.get(owner);
    set?.delete(key);
    if (set?.size === 0) this.byOwner.delete(owner);
  }

  private queueOf(origin: ResilientOrigin<V>): IndexedHeap {
    let heap = this.queues.get(origin);
    if (heap === undefined) {
      heap = new IndexedHeap();
      this.queues.set(origin, heap);
    }
    return heap;
  }
}

