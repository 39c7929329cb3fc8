import type { HistoryRef } from '@foresight/prediction-core';

/** What the batcher needs of a recurrent model (an `RnnModel`). */
export interface BatchModel {
  readonly vocabularySize: number;
  predictBatch(histories: readonly HistoryRef[]): Float32Array;
}

interface Pending {
  readonly model: BatchModel;
  readonly history: HistoryRef;
  readonly resolve: (row: Float32Array) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Batched RNN inference for concurrent requests: histories asked for in the same turn of the
 * event loop (up to `maxBatch`) go through one forward pass per model.
 */
export class RnnBatcher {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly maxBatch = 256,
    private readonly onBatch?: (size: number) => void,
  ) {}

  /** The next-action distribution (width = the model's vocabulary) after `history`. */
  score(model: BatchModel, history: readonly number[]): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({ model, history: { seq: history, len: history.length }, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const byModel = new Map<BatchModel, Pending[]>();
    for (const p of batch) {
      const group = byModel.get(p.model);
      if (group) group.push(p);
      else byModel.set(p.model, [p]);
    }
    for (const [model, group] of byModel) {
      try {
        const rows = model.predictBatch(group.map((p) => p.history));
        const V = model.vocabularySize;
        group.forEach((p, i) => p.resolve(rows.subarray(i * V, (i + 1) * V)));
        this.onBatch?.(group.length);
      } catch (error) {
        for (const p of group) p.reject(error);
      }
    }
  }
}
