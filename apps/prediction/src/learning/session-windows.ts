/** The recent actions of one session, as dense vocabulary indices (oldest first). */
export interface SessionWindow {
  readonly userId: string | null;
  readonly actions: number[];
  /** Stream version of the last action learned (0 when none); later events must be above it. */
  lastVersion: number;
}

/**
 * Per-session recent-history windows with bounded memory: at most `maxSessions` sessions (least
 * recently used evicted) and the last `length` actions of each.
 */
export class SessionWindows {
  private readonly windows = new Map<string, SessionWindow>();
  evicted = 0;

  constructor(
    readonly maxSessions: number,
    readonly length: number,
  ) {
    if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new RangeError('maxSessions must be a positive integer');
    if (!Number.isInteger(length) || length < 1) throw new RangeError('length must be a positive integer');
  }

  get size(): number {
    return this.windows.size;
  }

  has(sessionId: string): boolean {
    return this.windows.has(sessionId);
  }

  /** The session's window, marked as recently used. */
  get(sessionId: string): SessionWindow | undefined {
    const w = this.windows.get(sessionId);
    if (w !== undefined) {
      this.windows.delete(sessionId);
      this.windows.set(sessionId, w);
    }
    return w;
  }

  /** Creates (or replaces) a window holding the last `length` of `actions`. */
  open(sessionId: string, userId: string | null, actions: readonly number[], lastVersion: number): SessionWindow {
    const w: SessionWindow = { userId, actions: actions.slice(-this.length), lastVersion };
    this.windows.delete(sessionId);
    this.windows.set(sessionId, w);
    if (this.windows.size > this.maxSessions) {
      this.windows.delete(this.windows.keys().next().value!);
      this.evicted++;
    }
    return w;
  }

  /** Appends an action, dropping the oldest beyond `length`. */
  push(w: SessionWindow, action: number, version: number): void {
    w.actions.push(action);
    if (w.actions.length > this.length) w.actions.shift();
    w.lastVersion = version;
  }
}
