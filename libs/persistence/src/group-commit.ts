/**
 * Batches concurrent requests into one unit of work (group commit): while one batch is being
 * written, new requests queue up and go together in the next one. Each request still gets its
 * own result or error.
 */
export class GroupCommitter<TReq, TRes> {
  private queue: { req: TReq; resolve: (r: TRes) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;
  private closed = false;

  constructor(
    private readonly flush: (batch: readonly TReq[]) => Promise<ReadonlyArray<TRes | Error>>,
    private readonly maxBatch: number,
    /** Batches in flight at once; more than one keeps the pool busy while a commit waits on fsync. */
    private readonly concurrency = 2,
  ) {}

  submit(req: TReq): Promise<TRes> {
    if (this.closed) return Promise.reject(new Error('the store is shutting down'));
    return new Promise<TRes>((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      this.pump();
    });
  }

  /** Requests waiting for a batch (a gauge for metrics). */
  get pending(): number {
    return this.queue.length;
  }

  /** Stops taking requests and waits for queued ones to be written. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.running > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.running++;
      this.flush(batch.map((b) => b.req))
        .then(
          (results) =>
            batch.forEach((b, i) => {
              const r = results[i];
              if (r instanceof Error) b.reject(r);
              else b.resolve(r);
            }),
          (error: unknown) => batch.forEach((b) => b.reject(error)),
        )
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
