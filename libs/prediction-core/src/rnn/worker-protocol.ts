import { PredictionError, type PredictionErrorCode } from '../errors';
import type { VocabularySnapshot } from '../vocabulary';
import { saveRnnArtifact } from './artifact';
import type { RnnConfig } from './config';
import type { PackedSessions } from './sessions';
import { trainRnn, type TrainProgress, type TrainStats } from './train';

/** Message sent to the training worker. */
export interface TrainRequest {
  readonly type: 'train';
  readonly sessions: PackedSessions;
  readonly config: Partial<RnnConfig> & Pick<RnnConfig, 'vocabularySize'>;
  readonly version?: string;
  readonly vocabulary?: VocabularySnapshot | null;
  readonly progressIntervalMs?: number;
}

/** Messages sent back by the training worker. */
export type TrainReply =
  | { readonly type: 'progress'; readonly progress: TrainProgress }
  | { readonly type: 'log'; readonly message: string }
  | { readonly type: 'done'; readonly artifact: Uint8Array; readonly stats: TrainStats }
  | { readonly type: 'error'; readonly code: PredictionErrorCode; readonly message: string };

/**
 * Runs one training request and reports through `post` (the worker entry passes
 * `parentPort.postMessage`; tests call it in-process). Never throws: failures become an
 * `error` reply with a stable code.
 */
export async function runTrainRequest(request: TrainRequest, post: (reply: TrainReply, transfer?: ArrayBuffer[]) => void): Promise<void> {
  try {
    const { model, stats } = await trainRnn(request.sessions, request.config, {
      onProgress: (progress) => post({ type: 'progress', progress }),
      progressIntervalMs: request.progressIntervalMs,
      log: (message) => post({ type: 'log', message }),
      version: request.version,
      vocabulary: request.vocabulary ?? null,
    });
    const bytes = await saveRnnArtifact(model);
    model.dispose();
    const artifact = new Uint8Array(bytes.byteLength);
    artifact.set(bytes);
    post({ type: 'done', artifact, stats }, [artifact.buffer]);
  } catch (err) {
    const code = err instanceof PredictionError ? err.code : 'PREDICTION.TRAINING_FAILED';
    post({ type: 'error', code, message: err instanceof Error ? err.message : String(err) });
  }
}
