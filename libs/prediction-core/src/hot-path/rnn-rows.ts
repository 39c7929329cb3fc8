import { requireInt, requireNumber } from '../errors';
import type { BatchScorer } from '../ensemble/component-rows';
import { TopNBuffer } from '../util/top-n';

/** Options of {@link RnnRowCache}. */
export interface RnnRowCacheOptions {
  /** Actions of a history the RNN reads (its window): histories equal on their last `window` actions share a row. */
  readonly window: number;
  /**
   * Entries of a row kept (the most likely actions). A row of a vocabulary no larger is exact;
   * a larger one drops actions whose RNN probability is below the `keep`-th, which can reorder
   * only mixture entries closer than that probability times the RNN's weight (default 1,024).
   */
  readonly keep?: number;
  /** Rows kept, least recently used dropped (default 8,192). */
  readonly capacity?: number;
  /** Histories per forward pass at most; more wait for the next turn of the event loop (default 128). */
  readonly maxBatch?: number;
  /**
   * Time a forward pass may hold the thread (ms, default 10): the batch is sized from the measured
   * cost per row, so a large vocabulary gets smaller passes and plans keep running in between.
   */
  readonly batchBudgetMs?: number;
  /**
   * Share of the thread's time the passes may take (default 0.25): after a pass of t ms the next
   * waits t·(1/share − 1) ms. Where the RNN is too slow for every live session (a large
   * vocabulary), rows go to the histories queued last and the rest are dropped, not the plans.
   */
  readonly dutyCycle?: number;
  /** Histories waiting at most; the oldest are dropped beyond it (their sessions have moved on; default 2,048). */
  readonly maxQueued?: number;
  /** Runs a flush after `delayMs` (default `setImmediate`, or an unref'd timer for a delay). */
  readonly schedule?: (run: () => void, delayMs: number) => void;
  /** After each forward pass: its size and how long it held the thread (ms). */
  readonly onBatch?: (size: number, ms: number) => void;
  /** A forward pass threw: the rows it should have given are never cached. */
  readonly onError?: (error: unknown) => void;
}

/** An RNN scored elsewhere (a worker thread): rows come back already reduced to their kept entries. */
export interface AsyncRowScorer {
  readonly vocabularySize: number;
  scoreRows(histories: readonly (readonly number[])[], keep: number): Promise<SparseRow[]>;
}

/** The kept entries of an RNN row (the most likely actions first). */
export interface SparseRow {
  readonly actions: Int32Array;
  readonly probs: Float32Array;
}

/**
 * The RNN's next-action rows for live histories, computed off the planning path: a plan asks
 * with {@link get}, which answers from the cache or queues the history; queued histories go
 * through one batched forward pass on a later turn of the event loop, so no plan waits for the
 * network and concurrent sessions share passes. The next plan of the same history finds its row.
 */
export class RnnRowCache {
  readonly window: number;
  readonly keep: number;
  readonly capacity: number;
  private readonly maxBatch: number;
  private readonly budgetMs: number;
  private readonly maxQueued: number;
  private readonly duty: number;
  /** No pass before this instant (performance.now(), ms): the rest the duty cycle asks for. */
  private restUntil = 0;
  /** Rows of the next pass: doubled while passes take under half the budget, halved above it. */
  private batchSize: number;
  private readonly rows = new Map<string, SparseRow>();
  private readonly queued = new Map<string, number[]>();
  private scheduled = false;
  private readonly buffer: TopNBuffer;
  private waiters: (() => void)[] = [];
  private failedValue = false;
  private inFlight = false;
  readonly counts = { hits: 0, misses: 0, batches: 0, rows: 0, dropped: 0 };

  constructor(
    readonly scorer: BatchScorer | AsyncRowScorer,
    private readonly options: RnnRowCacheOptions,
  ) {
    this.window = requireInt('window', options.window, 1);
    this.keep = Math.min(requireInt('keep', options.keep ?? 1024, 1), scorer.vocabularySize);
    this.capacity = requireInt('capacity', options.capacity ?? 8192, 1);
    this.maxBatch = requireInt('maxBatch', options.maxBatch ?? 128, 1);
    this.budgetMs = requireNumber('batchBudgetMs', options.batchBudgetMs ?? 10, 0.01, 60_000);
    this.maxQueued = requireInt('maxQueued', options.maxQueued ?? 2048, 1);
    this.duty = requireNumber('dutyCycle', options.dutyCycle ?? 0.25, 0.01, 1);
    // The first pass is a small probe of the cost.
    this.batchSize = Math.min(8, this.maxBatch);
    this.buffer = new TopNBuffer(this.keep);
  }

  get vocabularySize(): number {
    return this.scorer.vocabularySize;
  }

  /** True once a forward pass has thrown (the owner should stop using the RNN). */
  get failed(): boolean {
    return this.failedValue;
  }

  /** Rows held now. */
  get size(): number {
    return this.rows.size;
  }

  /** The row of `seq[0..len)` if computed; otherwise undefined, and the history is queued (unless `queue` is false). */
  get(seq: ArrayLike<number>, len: number, queue = true): SparseRow | undefined {
    const key = this.keyOf(seq, len);
    const row = this.rows.get(key);
    if (row !== undefined) {
      this.counts.hits++;
      // Re-insert: Map order is least recently used first.
      this.rows.delete(key);
      this.rows.set(key, row);
      return row;
    }
    this.counts.misses++;
    if (queue && !this.failedValue) this.enqueue(key, seq, len);
    return undefined;
  }

  /** Queues histories without reading (e.g. the likely next ones), so a later plan finds them. */
  request(seq: ArrayLike<number>, len: number): void {
    const key = this.keyOf(seq, len);
    if (!this.rows.has(key) && !this.failedValue) this.enqueue(key, seq, len);
  }

  /** Resolves once nothing is queued (every row asked for so far is cached, or failed). */
  idle(): Promise<void> {
    if (this.queued.size === 0 && !this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Runs the queued histories now (at most `maxBatch` of them), returning how many. */
  flush(): number {
    this.scheduled = false;
    // One pass at a time: a pass in a worker schedules the next when it is back.
    if (this.inFlight) return 0;
    const size = this.batchSize;
    const take: [string, number[]][] = [];
    for (const entry of this.queued) {
      if (take.length >= size) break;
      take.push(entry);
    }
    for (const [key] of take) this.queued.delete(key);
    if (take.length > 0) {
      if ('scoreRows' in this.scorer) this.runElsewhere(this.scorer, take);
      else this.run(this.scorer, take);
    }
    this.afterPass();
    return take.length;
  }

  private afterPass(): void {
    if (this.inFlight) return;
    if (this.queued.size > 0) this.scheduleFlush();
    else {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    }
  }

  private fail(error: unknown): void {
    this.failedValue = true;
    this.queued.clear();
    this.options.onError?.(error);
  }

  private runElsewhere(scorer: AsyncRowScorer, take: readonly [string, number[]][]): void {
    const started = performance.now();
    this.inFlight = true;
    scorer
      .scoreRows(
        take.map(([, seq]) => seq),
        this.keep,
      )
      .then(
        (rows) => {
          this.inFlight = false;
          take.forEach(([key], i) => this.put(key, rows[i]!));
          this.passed(take.length, performance.now() - started);
          this.afterPass();
        },
        (error: unknown) => {
          this.inFlight = false;
          this.fail(error);
          this.afterPass();
        },
      );
  }

  private run(scorer: BatchScorer, take: readonly [string, number[]][]): void {
    const started = performance.now();
    let out: Float32Array;
    try {
      out = scorer.predictBatch(take.map(([, seq]) => ({ seq, len: seq.length })));
    } catch (error) {
      this.fail(error);
      return;
    }
    const V = scorer.vocabularySize;
    take.forEach(([key], i) => this.store(key, out.subarray(i * V, (i + 1) * V)));
    this.passed(take.length, performance.now() - started);
  }

  private passed(rows: number, ms: number): void {
    this.counts.batches++;
    this.counts.rows += rows;
    // A pass has a fixed cost and one per row: sizing by feedback finds the budget's batch either way.
    this.restUntil = performance.now() + ms * (1 / this.duty - 1);
    if (ms > this.budgetMs) this.batchSize = Math.max(1, Math.floor(rows / 2));
    else if (ms < this.budgetMs / 2 && rows >= this.batchSize) this.batchSize = Math.min(this.maxBatch, this.batchSize * 2);
    this.options.onBatch?.(rows, ms);
  }

  private store(key: string, dense: Float32Array): void {
    const buf = this.buffer;
    buf.reset(this.keep);
    for (let a = 0; a < dense.length; a++) {
      const p = dense[a]!;
      if (!buf.full || p > buf.floor) buf.offer(a, p);
    }
    this.put(key, { actions: buf.actions.slice(0, buf.size), probs: Float32Array.from(buf.scores.subarray(0, buf.size)) });
  }

  private put(key: string, row: SparseRow): void {
    this.rows.set(key, row);
    if (this.rows.size > this.capacity) this.rows.delete(this.rows.keys().next().value!);
  }

  private enqueue(key: string, seq: ArrayLike<number>, len: number): void {
    if (this.queued.has(key)) return;
    const from = Math.max(0, len - this.window);
    this.queued.set(key, Array.prototype.slice.call(seq, from, len) as number[]);
    if (this.queued.size > this.maxQueued) {
      this.queued.delete(this.queued.keys().next().value!);
      this.counts.dropped++;
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const delay = Math.max(0, this.restUntil - performance.now());
    if (this.options.schedule) this.options.schedule(() => this.flush(), delay);
    else if (delay < 1) setImmediate(() => this.flush());
    else setTimeout(() => this.flush(), delay).unref();
  }

  private keyOf(seq: ArrayLike<number>, len: number): string {
    let key = '';
    for (let i = Math.max(0, len - this.window); i < len; i++) key += `${seq[i]},`;
    return key;
  }
}
