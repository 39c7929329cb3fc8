import { IndexedHeap } from '@foresight/heap';
import { isCacheError, requireInt } from '../errors';
import type { OriginRegistry } from '../origin/origin-registry';
import type { Lane, OriginResponse, ResilientOrigin } from '../origin/resilient-origin';
import { InFlightLoads, type Flight, type LoadOutcome } from './in-flight';

/** One key a session would like prefetched. */
export interface PrefetchRequest {
  readonly key: string;
  /** Higher runs first (see `prefetchPriority`). */
  readonly priority: number;
}

/** Options of {@link FetchScheduler}. */
export interface FetchSchedulerOptions<V> {
  readonly origins: OriginRegistry<V>;
  /**
   * Stores a load's value when it lands, before the readers waiting for it resume (so a reader that
   * comes next finds it cached). `prefetched`: no reader asked for it (a prefetch or a warm-up).
   * Not called for a load invalidated while in flight: it may carry the value from before the change.
   */
  readonly store: (key: string, response: OriginResponse<V>, prefetched: boolean) => void;
  /** Called when a load fails (not one invalidated while in flight), e.g. to remember keys the origin does not have. */
  readonly onFailed?: (key: string, error: unknown) => void;
  /** Most queued prefetches per owner (session); the lowest priorities are dropped (default 32). */
  readonly maxQueuedPerOwner?: number;
  /** Abort an in-flight prefetch when no owner wants it any more (default false: let it land). */
  readonly abortStale?: boolean;
}

/** Counters since creation. */
export interface SchedulerStats {
  demandLoads: number;
  /** Demand-lane loads started before any reader asked (the keys of the action just recorded). */
  warmLoads: number;
  warmFailed: number;
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
  /** Loads in flight when their key was invalidated (their values were not stored). */
  invalidatedInFlight: number;
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
 * queued one (unless the key was invalidated while that load ran). Each owner (session) replaces its
 * queued prefetches on every {@link schedule}, so entries for a step the session has left are
 * cancelled before they cost anything. Every load's value is handed to `store` as it lands.
 *
 * Over 300 lines on purpose: both lanes share the in-flight table and the per-origin queues; split,
 * each half would reach into the other's state.
 */
export class FetchScheduler<V> {
  readonly stats: SchedulerStats = {
    demandLoads: 0,
    warmLoads: 0,
    warmFailed: 0,
    demandJoined: 0,
    promoted: 0,
    prefetchStarted: 0,
    prefetchCompleted: 0,
    prefetchFailed: 0,
    prefetchCancelled: 0,
    prefetchDeduplicated: 0,
    prefetchRefused: 0,
    invalidatedInFlight: 0,
  };
  private readonly flights = new InFlightLoads<V>();
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

  /** Prefetches `owner` has queued (not yet started). */
  queuedCountOf(owner: string): number {
    let n = 0;
    for (const key of this.byOwner.get(owner) ?? []) if (this.queued.has(key)) n++;
    return n;
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
      // A prefetch is not retried; if it fails, the reader still gets a full demand load (joining
      // one already running), unless the origin said the key does not exist.
      return {
        promise: flight.promise.catch((e: unknown) => (isCacheError(e, 'DATA.NOT_FOUND') ? Promise.reject(e) : this.demand(key).promise)),
        joined: true,
      };
    }
    this.promote(key);
    return { promise: this.startDemand(key, true).promise, joined: false };
  }

  /**
   * Starts loading `key` on the demand lane before any reader asks (it is certain to be read next):
   * the read then joins the load or finds the value, stored as prefetched unless a reader joined.
   * False when the key is loading already or no origin serves it.
   */
  warm(key: string): boolean {
    if (this.flights.has(key) || this.o.origins.find(key) === undefined) return false;
    this.promote(key);
    this.startDemand(key, false);
    return true;
  }

  /**
   * `key` changed at its origin: a load of it in flight may carry the value from before. Its value
   * is not stored when it lands (readers already waiting for it still get it), and later reads start
   * a new load instead of joining it. A queued prefetch stays queued: it will load the new value.
   * True when a load was in flight.
   */
  invalidate(key: string): boolean {
    const flight = this.flights.detach(key);
    if (flight === undefined) return false;
    for (const owner of flight.owners) this.forget(owner, key);
    flight.owners.clear();
    this.stats.invalidatedInFlight++;
    return true;
  }

  /** {@link invalidate} for every key in flight that `matches`; returns how many loads were in flight. */
  invalidateWhere(matches: (key: string) => boolean): number {
    let n = 0;
    for (const key of this.flights.keys()) if (matches(key) && this.invalidate(key)) n++;
    return n;
  }

  /**
   * Completion hook: resolves when every load of `key` running now has ended and its value was
   * stored (or, invalidated, dropped). At once when none is running.
   */
  settled(key: string): Promise<void> {
    return this.flights.settled(key);
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

  /** Takes a queued prefetch of `key` out of the queue: it is about to be loaded on the demand lane. */
  private promote(key: string): void {
    if (!this.queued.has(key)) return;
    this.stats.promoted++;
    this.dequeue(key);
  }

  private startDemand(key: string, demanded: boolean): Flight<V> {
    if (demanded) this.stats.demandLoads++;
    else this.stats.warmLoads++;
    return this.start(key, this.o.origins.resolve(key), 'demand', new Set(), demanded);
  }

  private startPrefetch(q: Queued<V>): void {
    this.stats.prefetchStarted++;
    this.running.set(q.origin, this.runningPrefetches(q.origin) + 1);
    this.start(q.key, q.origin, 'prefetch', new Set(q.owners.keys()), false);
  }

  private start(key: string, origin: ResilientOrigin<V>, lane: Lane, owners: Set<string>, demanded: boolean): Flight<V> {
    const controller = lane === 'prefetch' && this.o.abortStale ? new AbortController() : undefined;
    const promise = origin.load(key, lane, controller?.signal);
    return this.flights.track(key, promise, { lane, controller, owners, demanded }, (flight, outcome) => this.ended(key, origin, flight, outcome));
  }

  /** A load ended: store its value (unless invalidated meanwhile), count it, start the next prefetch. */
  private ended(key: string, origin: ResilientOrigin<V>, flight: Flight<V>, outcome: LoadOutcome<V>): void {
    for (const owner of flight.owners) this.forget(owner, key);
    if (flight.lane === 'prefetch') {
      this.running.set(origin, this.runningPrefetches(origin) - 1);
      if (outcome.ok) this.stats.prefetchCompleted++;
      else this.stats.prefetchFailed++;
    } else if (!outcome.ok && !flight.demanded) this.stats.warmFailed++;
    try {
      if (flight.invalidated) return;
      if (outcome.ok) this.o.store(key, outcome.response, !flight.demanded);
      else this.o.onFailed?.(key, outcome.error);
    } finally {
      if (flight.lane === 'prefetch') this.pump();
    }
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
