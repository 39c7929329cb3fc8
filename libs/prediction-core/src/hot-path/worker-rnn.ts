import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PredictionError } from '../errors';
import type { AsyncRowScorer, SparseRow } from './rnn-rows';

/** Messages to the row worker. */
export type RowRequest =
  | { readonly type: 'load'; readonly bytes: Uint8Array }
  | { readonly type: 'score'; readonly id: number; readonly flat: Int32Array; readonly lengths: Int32Array; readonly keep: number }
  | { readonly type: 'close' };

/** Messages from the row worker. */
export type RowReply =
  | { readonly type: 'loaded'; readonly window: number; readonly vocabularySize: number }
  | {
      readonly type: 'rows';
      readonly id: number;
      readonly keep: number;
      readonly actions: Int32Array;
      readonly probs: Float32Array;
      readonly sizes: Int32Array;
    }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** The compiled worker entry beside this module, if the project is built. */
export function rowWorkerPath(): string | undefined {
  const path = join(__dirname, 'rnn-worker.js');
  return existsSync(path) ? path : undefined;
}

/** An RNN scored in a worker thread: passes never hold the caller's event loop. */
export class WorkerRnn implements AsyncRowScorer {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (rows: SparseRow[]) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    readonly window: number,
    readonly vocabularySize: number,
  ) {
    worker.on('message', (reply: RowReply) => {
      if (reply.type === 'loaded') return;
      const p = this.pending.get(reply.id);
      if (p === undefined) return;
      this.pending.delete(reply.id);
      if (reply.type === 'error') p.reject(new Error(reply.message));
      else {
        const rows: SparseRow[] = [];
        for (let i = 0; i < reply.sizes.length; i++) {
          const at = i * reply.keep;
          rows.push({ actions: reply.actions.subarray(at, at + reply.sizes[i]!), probs: reply.probs.subarray(at, at + reply.sizes[i]!) });
        }
        p.resolve(rows);
      }
    });
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', () => this.failAll(new Error('the RNN worker exited')));
    worker.unref();
  }

  /** Starts a worker and loads the artifact there; rejects with `PREDICTION.ARTIFACT_CORRUPT` when it does not load. */
  static async load(bytes: Uint8Array, workerPath: string): Promise<WorkerRnn> {
    const worker = new Worker(workerPath);
    const loaded = await new Promise<{ window: number; vocabularySize: number }>((resolve, reject) => {
      const onMessage = (reply: RowReply): void => {
        worker.off('message', onMessage);
        if (reply.type === 'loaded') resolve(reply);
        else reject(new PredictionError('PREDICTION.ARTIFACT_CORRUPT', reply.type === 'error' ? reply.message : 'unexpected reply of the RNN worker'));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.postMessage({ type: 'load', bytes } satisfies RowRequest);
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    return new WorkerRnn(worker, loaded.window, loaded.vocabularySize);
  }

  scoreRows(histories: readonly (readonly number[])[], keep: number): Promise<SparseRow[]> {
    const lengths = Int32Array.from(histories, (h) => h.length);
    const flat = new Int32Array(lengths.reduce((s, n) => s + n, 0));
    let at = 0;
    for (const h of histories) {
      flat.set(h, at);
      at += h.length;
    }
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'score', id, flat, lengths, keep } satisfies RowRequest, [flat.buffer, lengths.buffer]);
    });
  }

  dispose(): void {
    this.worker.postMessage({ type: 'close' } satisfies RowRequest);
    setTimeout(() => void this.worker.terminate(), 1000).unref();
  }

  private failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
