import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { sleep } from '@foresight/time';

type Pending<TReq, TRes> = { req: TReq; resolve: (r: TRes) => void; reject: (e: unknown) => void };

/**
 * Batches concurrent requests into one unit of work (group commit): while one batch is being
 * written, new requests queue up and go together in the next one. Each request still gets its
 * own result or error.
 *
 * A batch that fails as a whole with an error `isolatable` says belongs to some request's data
 * (not to the connection) is split in halves, each written on its own, until the request that
 * causes it is alone: only that one fails, the others commit. This relies on `flush` being
 * all-or-nothing when it throws (one statement, or one transaction), so a retried half never
 * writes anything twice.
 */
export class GroupCommitter<TReq, TRes> {
  private queue: Pending<TReq, TRes>[] = [];
  private running = 0;
  private closed = false;

  constructor(
    private readonly flush: (batch: readonly TReq[]) => Promise<ReadonlyArray<TRes | Error>>,
    private readonly maxBatch: number,
    /** Batches in flight at once; more than one keeps the pool busy while a commit waits on fsync. */
    private readonly concurrency = 2,
    private readonly isolatable: (error: unknown) => boolean = () => false,
  ) {}

  submit(req: TReq): Promise<TRes> {
    // Nothing was written: the caller may send it again, and the gateway does, to the session's next owner.
    if (this.closed) return Promise.reject(new ForesightError(ErrorCodes.UNAVAILABLE, 'This node is shutting down; retry shortly.'));
    return new Promise<TRes>((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      this.pump();
    });
  }

  /** Stops taking requests and waits for queued ones to be written. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.running > 0) await sleep(5);
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.running++;
      void this.write(batch).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async write(batch: readonly Pending<TReq, TRes>[]): Promise<void> {
    let results: ReadonlyArray<TRes | Error>;
    try {
      results = await this.flush(batch.map((b) => b.req));
    } catch (error) {
      if (batch.length > 1 && this.isolatable(error)) {
        const half = Math.ceil(batch.length / 2);
        await Promise.all([this.write(batch.slice(0, half)), this.write(batch.slice(half))]);
      } else {
        for (const b of batch) b.reject(error);
      }
      return;
    }
    batch.forEach((b, i) => {
      const r = results[i];
      if (r instanceof Error) b.reject(r);
      else b.resolve(r);
    });
  }
}
