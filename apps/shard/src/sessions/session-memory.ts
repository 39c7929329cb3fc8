import type { SessionState } from '@foresight/session-domain';

/**
 * Rough bytes a loaded session costs in memory: its variables' encoded size twice over (parsed
 * JSON weighs more than its text), plus a fixed overhead per session, per variable and per
 * remembered action. An estimate for a budget, not an accounting.
 */
export function estimateSessionBytes(state: SessionState): number {
  return 1024 + 2 * state.totalBytes + 96 * Object.keys(state.sizes).length + 64 * (state.recentActions?.length ?? 0);
}

interface Slot<V> {
  value: V;
  bytes: number;
  lastAccess: number;
}

/**
 * Loaded sessions under a byte budget, framework-free: a map in least-recently-used order (a read
 * or write moves a session to the back), its total estimated size, and the two ways out: over the
 * budget the least recently used go first; past the idle TTL any go. Entries `pinned` says to keep
 * (a session with a lock held) are skipped. Evicting drops only a copy: every acknowledged write
 * is in the store, and the next use reloads it.
 */
export class SessionMemory<V> {
  private readonly slots = new Map<string, Slot<V>>();
  private total = 0;

  constructor(private readonly sizeOf: (value: V) => number) {}

  /** The entry, marked as used now (moved to the most recently used end). */
  get(id: string, now: number): V | undefined {
    const slot = this.slots.get(id);
    if (!slot) return undefined;
    this.slots.delete(id);
    slot.lastAccess = now;
    this.slots.set(id, slot);
    return slot.value;
  }

  /** The entry without marking it as used. */
  peek(id: string): V | undefined {
    return this.slots.get(id)?.value;
  }

  set(id: string, value: V, now: number): void {
    const bytes = this.sizeOf(value);
    const old = this.slots.get(id);
    if (old) {
      this.total -= old.bytes;
      this.slots.delete(id);
    }
    this.slots.set(id, { value, bytes, lastAccess: now });
    this.total += bytes;
  }

  delete(id: string): boolean {
    const old = this.slots.get(id);
    if (!old) return false;
    this.total -= old.bytes;
    return this.slots.delete(id);
  }

  /** Evicts least recently used entries until the total is within `budget`; returns the ids evicted. */
  evictOverBudget(budget: number, pinned: (id: string) => boolean): string[] {
    const out: string[] = [];
    if (this.total <= budget) return out;
    // Deleting the entry being visited is safe while iterating a Map.
    for (const id of this.slots.keys()) {
      if (this.total <= budget) break;
      if (pinned(id)) continue;
      this.delete(id);
      out.push(id);
    }
    return out;
  }

  /** Evicts entries unused since `now - ttlMs`; returns the ids evicted. */
  evictIdle(now: number, ttlMs: number, pinned: (id: string) => boolean): string[] {
    const out: string[] = [];
    for (const [id, slot] of this.slots) {
      // In LRU order: the first one used recently enough ends the scan.
      if (slot.lastAccess > now - ttlMs) break;
      if (pinned(id)) continue;
      this.delete(id);
      out.push(id);
    }
    return out;
  }

  get size(): number {
    return this.slots.size;
  }

  get bytes(): number {
    return this.total;
  }

  *values(): IterableIterator<V> {
    for (const slot of this.slots.values()) yield slot.value;
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (const [id, slot] of this.slots) yield [id, slot.value];
  }
}
