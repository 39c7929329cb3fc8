import type { JsonValue } from '@foresight/contracts';

/** A session event as the edge sees it (the published envelope plus its stream version). */
export interface EdgeEvent {
  readonly type: string;
  readonly sessionId: string;
  readonly streamVersion: number;
  readonly data: { readonly group?: string; readonly name?: string; readonly value?: JsonValue; readonly sealed?: boolean };
}

interface Entry {
  version: number;
  readonly vars: Map<string, JsonValue>;
  expiresAt: number;
}

/**
 * The edge's L1 cache: for each recently read session, its version and the variables read.
 * It never guesses: an entry advances only by the very next event of its session (or a write
 * this edge made), and any gap, ambiguity or end drops the entry. Pure; the clock is passed in.
 */
export class L1Cache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxSessions: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(sessionId: string, key: string, now: number): { value: JsonValue; version: number } | undefined {
    const e = this.entries.get(sessionId);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(sessionId);
      return undefined;
    }
    const value = e.vars.get(key);
    return value === undefined ? undefined : { value, version: e.version };
  }

  /** Remembers a value read from the owner at `version`. */
  fill(sessionId: string, key: string, value: JsonValue, version: number, now: number): void {
    let e = this.entries.get(sessionId);
    if (e && version < e.version) return; // an older answer overtaken by an event
    if (!e || version > e.version) {
      e = { version, vars: new Map(), expiresAt: now + this.ttlMs };
      this.entries.delete(sessionId);
      this.entries.set(sessionId, e);
      this.evictOverflow();
    }
    e.vars.set(key, value);
  }

  /** A write this edge made, acknowledged at `version` (write-through). */
  wrote(sessionId: string, key: string, value: JsonValue | undefined, version: number): void {
    const e = this.entries.get(sessionId);
    if (!e) return;
    if (version !== e.version + 1) {
      this.entries.delete(sessionId);
      return;
    }
    e.version = version;
    if (value === undefined) e.vars.delete(key);
    else e.vars.set(key, value);
  }

  /** Applies a published session event. */
  apply(event: EdgeEvent): void {
    const e = this.entries.get(event.sessionId);
    if (!e || event.streamVersion <= e.version) return;
    // A sealed value (sensitive group) cannot be read here: the next read goes to the owner.
    if (event.streamVersion !== e.version + 1 || event.type === 'session.ended' || event.data.sealed === true) {
      this.entries.delete(event.sessionId);
      return;
    }
    e.version = event.streamVersion;
    const key = event.data.group !== undefined && event.data.name !== undefined ? `${event.data.group}/${event.data.name}` : undefined;
    if (event.type === 'session.variable_set' && key && event.data.value !== undefined) e.vars.set(key, event.data.value);
    else if (event.type === 'session.variable_deleted' && key) e.vars.delete(key);
  }

  drop(sessionId: string): void {
    this.entries.delete(sessionId);
  }

  clear(): void {
    this.entries.clear();
  }

  private evictOverflow(): void {
    // Map iteration order is insertion order: the first entries are the oldest fills.
    for (const id of this.entries.keys()) {
      if (this.entries.size <= this.maxSessions) break;
      this.entries.delete(id);
    }
  }
}
