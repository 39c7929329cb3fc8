import { requireInt, requireNumber } from '../errors';

/** Called with a key whose protection level changed. */
export type ProtectionListener = (key: string) => void;

interface SessionProtections {
  step: number;
  lastSeen: number;
  readonly records: Map<string, { p: number; at: number; until: number }>;
}

/**
 * Which keys live sessions are predicted to need soon, and how likely.
 *
 * A session protects a key for its next `steps` requests with probability `p`; the protection
 * lapses when the session has moved on that many requests, ends, or goes idle. The level of a key is
 * the highest `p` any live session gives it. The eviction scorer keeps protected entries; the
 * protection is measured in the session's own requests, not wall time, so a fast and a slow session
 * are treated alike.
 */
export class ProtectionTable {
  private readonly sessions = new Map<string, SessionProtections>();
  private readonly byKey = new Map<string, Map<string, number>>();
  private readonly listeners: ProtectionListener[] = [];

  /** Adds a listener told about every change of a key's level. */
  subscribe(listener: ProtectionListener): void {
    this.listeners.push(listener);
  }

  /** Protects `key` for the next `steps` requests of `sessionId` with probability `p` (replacing any earlier protection by that session). */
  protect(sessionId: string, key: string, p: number, steps: number, now = 0): void {
    requireNumber('p', p, 0, 1);
    requireInt('steps', steps, 0);
    const s = this.session(sessionId, now);
    const before = this.level(key);
    s.records.set(key, { p, at: s.step, until: s.step + steps });
    let holders = this.byKey.get(key);
    if (holders === undefined) {
      holders = new Map();
      this.byKey.set(key, holders);
    }
    holders.set(sessionId, p);
    if (this.level(key) !== before) this.emit(key);
  }

  /** The session made a request: protections older than their horizon lapse. */
  advance(sessionId: string, now = 0): void {
    const s = this.session(sessionId, now);
    s.step++;
    for (const [key, r] of s.records) {
      if (r.until < s.step) this.release(sessionId, s, key);
    }
  }

  /**
   * Keeps the protections of `sessionId` within `maxBytes` (sizes from `sizeOf`), dropping the least
   * valuable first: value = p × `ageDecay`^(requests since the prediction). Without a bound, a session
   * protecting a few keys per request for several requests would hold more than a small cache keeps;
   * the decay lets a fresh likely prediction displace an old one, but not a fresh unlikely one.
   */
  trim(sessionId: string, maxBytes: number, sizeOf: (key: string) => number, ageDecay = 0.7): void {
    const s = this.sessions.get(sessionId);
    if (s === undefined) return;
    let total = 0;
    for (const key of s.records.keys()) total += sizeOf(key);
    if (total <= maxBytes) return;
    const value = (r: { p: number; at: number }) => r.p * ageDecay ** (s.step - r.at);
    const ranked = [...s.records].sort((a, b) => value(a[1]) - value(b[1]) || a[1].at - b[1].at);
    for (const [key] of ranked) {
      if (total <= maxBytes) break;
      total -= sizeOf(key);
      this.release(sessionId, s, key);
    }
  }

  /** True when `sessionId` currently protects `key`. */
  holds(sessionId: string, key: string): boolean {
    return this.sessions.get(sessionId)?.records.has(key) ?? false;
  }

  /** Drops every protection of `sessionId`. */
  endSession(sessionId: string): void {
    const s = this.sessions.get(sessionId);
    if (s === undefined) return;
    for (const key of [...s.records.keys()]) this.release(sessionId, s, key);
    this.sessions.delete(sessionId);
  }

  /** Ends every session not seen since `now - idleMs`; returns how many ended. */
  sweepIdle(now: number, idleMs: number): number {
    let ended = 0;
    for (const [id, s] of this.sessions) {
      if (now - s.lastSeen > idleMs) {
        this.endSession(id);
        ended++;
      }
    }
    return ended;
  }

  /** Highest probability any live session gives `key`; 0 when unprotected. */
  level(key: string): number {
    const holders = this.byKey.get(key);
    if (holders === undefined) return 0;
    let max = 0;
    for (const p of holders.values()) if (p > max) max = p;
    return max;
  }

  /** Number of live sessions holding protections. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Number of distinct protected keys. */
  get keyCount(): number {
    return this.byKey.size;
  }

  private session(sessionId: string, now: number): SessionProtections {
    let s = this.sessions.get(sessionId);
    if (s === undefined) {
      s = { step: 0, lastSeen: now, records: new Map() };
      this.sessions.set(sessionId, s);
    }
    if (now > s.lastSeen) s.lastSeen = now;
    return s;
  }

  private release(sessionId: string, s: SessionProtections, key: string): void {
    s.records.delete(key);
    const holders = this.byKey.get(key);
    if (holders === undefined) return;
    const before = this.level(key);
    holders.delete(sessionId);
    if (holders.size === 0) this.byKey.delete(key);
    if (this.level(key) !== before) this.emit(key);
  }

  private emit(key: string): void {
    for (const l of this.listeners) l(key);
  }
}
