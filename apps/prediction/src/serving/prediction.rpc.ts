import { DEFAULT_PREDICTIONS, ErrorCodes, ForesightError, MODEL_CHUNK_BYTES, PredictionCommandSchemas, predictionSubjects, requestValidators, type ModelChunk, type PredictionCommands } from '@foresight/contracts';
import { serveRpc, type RpcHandler, type RpcLogger } from '@foresight/messaging';
import type { NatsConnection, Subscription } from 'nats';
import type { ServingModel } from '../models/serving-model';
import type { Predictor } from './predictor';

/** Every prediction command's request schema, compiled once. */
const requests = requestValidators(PredictionCommandSchemas);

/** A chunk of the serving model's stored bytes, or MODEL_NOT_FOUND. */
export function modelChunk(serving: ServingModel, request: PredictionCommands['model']['request']): ModelChunk {
  const chunk = request.chunk ?? 0;
  const stored = serving.stored;
  if (stored === null) {
    throw new ForesightError(ErrorCodes.PREDICTION_MODEL_NOT_FOUND, 'No model has been stored yet; the service predicts with its live Markov model (ask "predict").');
  }
  if (request.modelVersion !== undefined && request.modelVersion !== serving.version) {
    throw new ForesightError(ErrorCodes.PREDICTION_MODEL_NOT_FOUND, `Model ${request.modelVersion} is no longer served (now ${serving.version}); start again from chunk 0.`);
  }
  const chunks = Math.max(1, Math.ceil(stored.bytes.length / MODEL_CHUNK_BYTES));
  if (chunk >= chunks) throw new ForesightError(ErrorCodes.VALIDATION, `"chunk" must be below ${chunks}.`);
  const from = chunk * MODEL_CHUNK_BYTES;
  return {
    modelVersion: serving.version,
    kind: serving.kind,
    createdAt: stored.createdAt,
    vocabulary: [...stored.vocabulary],
    metrics: stored.metrics,
    totalBytes: stored.bytes.length,
    sha256: stored.sha256,
    chunk,
    chunks,
    data: stored.bytes.subarray(from, from + MODEL_CHUNK_BYTES),
  };
}

/**
 * Request/reply on `<ns>.rpc.prediction.predict` and `<ns>.rpc.prediction.model`, queue group
 * `prediction`. The op header is optional (the subject names the op); anything undecodable or
 * invalid gets an error reply (serveRpc never lets a request crash the process).
 */
export function servePredictionRpc(
  nc: NatsConnection,
  namespace: string,
  predictor: Predictor,
  serving: () => ServingModel,
  logger: RpcLogger,
  onRequest?: (op: string, ms: number, ok: boolean) => void,
): Subscription[] {
  const s = predictionSubjects(namespace);
  const predict: RpcHandler = async (raw): Promise<PredictionCommands['predict']['reply']> => {
    const r = requests.predict.parse(raw);
    return predictor.predict(r.sessionId, r.n ?? DEFAULT_PREDICTIONS);
  };
  // A request without fields may arrive as nil.
  const model: RpcHandler = async (raw): Promise<PredictionCommands['model']['reply']> => modelChunk(serving(), requests.model.parse(raw ?? {}));
  const options = { queue: 'prediction', logger, onRequest };
  return [
    serveRpc(nc, s.predictionRpc('predict'), { predict, '': predict }, options),
    serveRpc(nc, s.predictionRpc('model'), { model, '': model }, options),
  ];
}
