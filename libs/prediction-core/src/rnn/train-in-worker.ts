import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PredictionError } from '../errors';
import type { VocabularySnapshot } from '../vocabulary';
import type { RnnConfig } from './config';
import type { PackedSessions } from './sessions';
import type { TrainProgress, TrainStats } from './train';
import type { TrainReply, TrainRequest } from './worker-protocol';

/** Options of {@link trainInWorker}. */
export interface TrainInWorkerOptions {
  readonly onProgress?: (p: TrainProgress) => void;
  readonly onLog?: (message: string) => void;
  readonly version?: string;
  readonly vocabulary?: VocabularySnapshot | null;
  readonly progressIntervalMs?: number;
  /** Compiled worker entry (default: `train-worker.js` beside this module). */
  readonly workerPath?: string;
}

/** Result of a worker training run: the artifact (see {@link loadRnnArtifact}) and statistics. */
export interface WorkerTrainResult {
  readonly artifact: Buffer;
  readonly stats: TrainStats;
}

/**
 * Trains the RNN in a `worker_threads` worker so the caller's event loop stays responsive.
 * Resolves with a self-contained artifact; rejects with a {@link PredictionError}.
 * The sessions are copied to the worker, so the caller keeps using them.
 */
export function trainInWorker(
  sessions: PackedSessions,
  config: Partial<RnnConfig> & Pick<RnnConfig, 'vocabularySize'>,
  options: TrainInWorkerOptions = {},
): Promise<WorkerTrainResult> {
  const path = options.workerPath ?? join(__dirname, 'train-worker.js');
  if (!existsSync(path)) {
    return Promise.reject(new PredictionError('PREDICTION.TRAINING_FAILED', `Worker entry ${path} not found; build the project (npm run build) first.`));
  }
  return new Promise((resolve, reject) => {
    const worker = new Worker(path);
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (reply: TrainReply) => {
      switch (reply.type) {
        case 'progress':
          options.onProgress?.(reply.progress);
          break;
        case 'log':
          options.onLog?.(reply.message);
          break;
        case 'done':
          settle(() => resolve({ artifact: Buffer.from(reply.artifact.buffer, reply.artifact.byteOffset, reply.artifact.byteLength), stats: reply.stats }));
          break;
        case 'error':
          settle(() => reject(new PredictionError(reply.code, reply.message)));
          break;
      }
    });
    worker.on('error', (err) =>
      settle(() => reject(new PredictionError('PREDICTION.TRAINING_FAILED', `Training worker crashed: ${err.message}`, { cause: err }))),
    );
    worker.on('exit', (code) =>
      settle(() => reject(new PredictionError('PREDICTION.TRAINING_FAILED', `Training worker exited (code ${code}) without a result.`))),
    );
    const request: TrainRequest = {
      type: 'train',
      sessions,
      config,
      version: options.version,
      vocabulary: options.vocabulary ?? null,
      progressIntervalMs: options.progressIntervalMs,
    };
    worker.postMessage(request);
  });
}
