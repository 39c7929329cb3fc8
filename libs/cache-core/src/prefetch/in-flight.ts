import type { Lane, OriginResponse } from '../origin/resilient-origin';

/** One origin load running. */
export interface Flight<V> {
  readonly promise: Promise<OriginResponse<V>>;
  readonly lane: Lane;
  /** Only when stale prefetches may be aborted (an AbortController per load is not free). */
  readonly controller: AbortController | undefined;
  /** Sessions that asked for it as a prefetch. */
  readonly owners: Set<string>;
  /** A reader waits for it: its value is stored as read, not as prefetched. */
  demanded: boolean;
  /** Its key was invalidated while it ran: its value must not be stored. */
  invalidated: boolean;
  /** Resolves once the load has ended and its outcome was handled. */
  settled: Promise<void>;
}

/** How a load ended. */
export type LoadOutcome<V> = { readonly ok: true; readonly response: OriginResponse<V> } | { readonly ok: false; readonly error: unknown };

/**
 * The origin loads running now, at most one per key, plus those an invalidation detached from their
 * key (still running; their values are to be dropped). Each load's end is handed to one callback,
 * which runs before any reader awaiting the load's promise resumes: the completion hook the store
 * step and in-flight invalidation hang on.
 */
export class InFlightLoads<V> {
  private readonly current = new Map<string, Flight<V>>();
  private readonly detached = new Map<string, Set<Flight<V>>>();

  get(key: string): Flight<V> | undefined {
    return this.current.get(key);
  }

  has(key: string): boolean {
    return this.current.has(key);
  }

  keys(): string[] {
    return [...this.current.keys()];
  }

  /**
   * Tracks the load `promise` of `key` as the key's current load. `ended` runs when it settles, after
   * the load is no longer tracked and before readers awaiting `promise` resume (it is the first
   * callback registered on it).
   */
  track(
    key: string,
    promise: Promise<OriginResponse<V>>,
    init: Pick<Flight<V>, 'lane' | 'controller' | 'owners' | 'demanded'>,
    ended: (flight: Flight<V>, outcome: LoadOutcome<V>) => void,
  ): Flight<V> {
    const flight: Flight<V> = { ...init, promise, invalidated: false, settled: Promise.resolve() };
    this.current.set(key, flight);
    flight.settled = promise.then(
      (response) => {
        this.untrack(key, flight);
        ended(flight, { ok: true, response });
      },
      (error: unknown) => {
        this.untrack(key, flight);
        ended(flight, { ok: false, error });
      },
    );
    return flight;
  }

  /**
   * Detaches the current load of `key` (its key changed at the origin): it is marked invalidated and
   * no longer found by {@link get}, so the next reader starts a new load. Returns it, if there was one.
   */
  detach(key: string): Flight<V> | undefined {
    const flight = this.current.get(key);
    if (flight === undefined) return undefined;
    this.current.delete(key);
    flight.invalidated = true;
    let set = this.detached.get(key);
    if (set === undefined) this.detached.set(key, (set = new Set()));
    set.add(flight);
    return flight;
  }

  /** Resolves when every load of `key` running now, current or detached, has ended and been handled. */
  settled(key: string): Promise<void> {
    const flights = [...(this.detached.get(key) ?? [])];
    const current = this.current.get(key);
    if (current !== undefined) flights.push(current);
    return Promise.all(flights.map((f) => f.settled.catch(() => undefined))).then(() => undefined);
  }

  private untrack(key: string, flight: Flight<V>): void {
    if (this.current.get(key) === flight) this.current.delete(key);
    const set = this.detached.get(key);
    if (set?.delete(flight) && set.size === 0) this.detached.delete(key);
  }
}
