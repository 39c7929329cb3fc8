/** One issued id waiting in the pool, and when the cluster created its (empty) session. */
interface Pooled {
  readonly id: string;
  readonly createdAt: number;
}

export interface IdPoolOptions {
  /** Ids kept ready (default 16); a refill starts when fewer than half remain. */
  readonly size: number;
  /** An id older than this is dropped unused: its empty session may have reached its idle timeout (default 10 min). */
  readonly maxAgeMs: number;
  /** Creates one empty session on the cluster and returns its id. */
  readonly issue: () => Promise<string>;
  readonly now?: () => number;
  /** Told about refills that failed (the pool tries again on the next need). */
  readonly onError?: (error: unknown) => void;
}

/**
 * Session ids the cluster issued ahead of need. express-session asks for a new id synchronously
 * (`genid`), while Foresight's ids are issued by the cluster (random bits plus a MAC only the cluster
 * can make); the pool bridges the two. Ids handed out but never saved can be given back.
 */
export class IdPool {
  private ids: Pooled[] = [];
  /** Creation time of ids recently handed out, so one given back keeps its age. */
  private readonly handedOut = new Map<string, number>();
  private refilling: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: IdPoolOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  get available(): number {
    this.dropStale();
    return this.ids.length;
  }

  /** An id now, or undefined when the pool is empty (a refill starts whenever it runs low). */
  take(): string | undefined {
    this.dropStale();
    const next = this.ids.shift();
    if (this.ids.length < this.options.size / 2) void this.refill().catch(() => undefined);
    if (next) this.remember(next);
    return next?.id;
  }

  /** An id, waiting for a refill when the pool is empty. */
  async takeAsync(): Promise<string> {
    for (let tries = 0; tries < 3; tries++) {
      const id = this.take();
      if (id !== undefined) return id;
      await this.refill();
    }
    const id = await this.options.issue();
    this.remember({ id, createdAt: this.now() });
    return id;
  }

  /** Gives back an id that was handed out but never saved: its session is still empty. */
  giveBack(id: string): void {
    const createdAt = this.handedOut.get(id);
    this.handedOut.delete(id);
    if (createdAt !== undefined && this.ids.length < this.options.size * 2) this.ids.push({ id, createdAt });
  }

  /** Fills the pool up to its size; concurrent callers share one refill. */
  refill(): Promise<void> {
    this.refilling ??= this.doRefill().finally(() => {
      this.refilling = undefined;
    });
    return this.refilling;
  }

  private async doRefill(): Promise<void> {
    const missing = this.options.size - this.ids.length;
    if (missing <= 0) return;
    const results = await Promise.allSettled(Array.from({ length: missing }, () => this.options.issue()));
    const createdAt = this.now();
    let failure: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') this.ids.push({ id: r.value, createdAt });
      else failure ??= r.reason;
    }
    if (failure !== undefined) {
      this.options.onError?.(failure);
      if (this.ids.length === 0) throw failure;
    }
  }

  private remember(p: Pooled): void {
    this.handedOut.set(p.id, p.createdAt);
    // Bounded: ids handed out and never given back (saved, or abandoned) are forgotten oldest first.
    if (this.handedOut.size > this.options.size * 64) this.handedOut.delete(this.handedOut.keys().next().value!);
  }

  private dropStale(): void {
    const oldest = this.now() - this.options.maxAgeMs;
    if (this.ids.some((p) => p.createdAt < oldest)) this.ids = this.ids.filter((p) => p.createdAt >= oldest);
  }
}
