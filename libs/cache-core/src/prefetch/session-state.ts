import { Ewma } from '../origin/ewma';

/** Per-session counters. */
export interface SessionStats {
  requests: number;
  hits: number;
  /** Reads that waited on a load already in flight (usually a prefetch that had not landed). */
  joined: number;
  misses: number;
  /** Hits on entries a prefetch brought in. */
  prefetchUsed: number;
  /** Keys prefetched on behalf of the session. */
  prefetchRequested: number;
}

/** What the node keeps per live session. */
export class SessionState {
  readonly history: string[] = [];
  readonly gap = new Ewma(0.3, 5000);
  lastActionAt: number | undefined;
  lastSeen: number;
  readonly stats: SessionStats = { requests: 0, hits: 0, joined: 0, misses: 0, prefetchUsed: 0, prefetchRequested: 0 };

  constructor(
    now: number,
    private readonly maxHistory: number,
  ) {
    this.lastSeen = now;
  }

  /** Appends an action seen elsewhere (no timing: the gap estimate is left alone). */
  restore(action: string): void {
    this.history.push(action);
    if (this.history.length > this.maxHistory) this.history.shift();
  }

  /** Appends an action; returns the history before it. */
  push(action: string, now: number): readonly string[] {
    const before = this.history.slice();
    if (this.lastActionAt !== undefined) this.gap.update(now - this.lastActionAt);
    this.lastActionAt = now;
    this.lastSeen = now;
    this.restore(action);
    return before;
  }
}
