import { Payload } from '@nestjs/microservices';
import {
  DEFAULT_PREDICTIONS,
  ErrorCodes,
  ForesightError,
  MODEL_CHUNK_BYTES,
  PredictionCommandSchemas,
  predictionSubjects,
  requestValidators,
  type ModelChunk,
  type PredictionCommands,
} from '@foresight/contracts';
import { RpcController, RpcOp, type RpcEndpoint } from '@foresight/platform';
import { ModelRegistry } from '../models/model-registry';
import type { ServingModel } from '../models/serving-model';
import { Predictor } from './predictor';

/** Every prediction command's request schema, compiled once. */
const requests = requestValidators(PredictionCommandSchemas);

/** Where the prediction service answers: subjects that name the op, any instance answering. */
export function predictionEndpoints(namespace: string): Record<'predict' | 'model', RpcEndpoint> {
  const s = predictionSubjects(namespace);
  return {
    predict: { subject: s.predictionRpc('predict'), queue: 'prediction', defaultOp: 'predict' },
    model: { subject: s.predictionRpc('model'), queue: 'prediction', defaultOp: 'model' },
  };
}

/** A chunk of the serving model's stored bytes, or MODEL_NOT_FOUND. */
export function modelChunk(serving: ServingModel, request: PredictionCommands['model']['request']): ModelChunk {
  const chunk = request.chunk ?? 0;
  const stored = serving.stored;
  if (stored === null) {
    throw new ForesightError(
      ErrorCodes.PREDICTION_MODEL_NOT_FOUND,
      'No model has been stored yet; the service predicts with its live Markov model (ask "predict").',
    );
  }
  if (request.modelVersion !== undefined && request.modelVersion !== serving.version) {
    throw new ForesightError(
      ErrorCodes.PREDICTION_MODEL_NOT_FOUND,
      `Model ${request.modelVersion} is no longer served (now ${serving.version}); start again from chunk 0.`,
    );
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
 * Request/reply on `<ns>.rpc.prediction.predict` and `<ns>.rpc.prediction.model` (endpoints of the
 * runtime's transport, queue group `prediction`). The op header is optional (the subject names the
 * op); anything undecodable or invalid gets an error reply (the transport never lets a request crash
 * the process).
 */
@RpcController()
export class PredictionRpcController {
  constructor(
    private readonly predictor: Predictor,
    private readonly registry: ModelRegistry,
  ) {}

  @RpcOp('predict', 'predict')
  async predict(@Payload() raw: unknown): Promise<PredictionCommands['predict']['reply']> {
    const r = requests.predict.parse(raw);
    return this.predictor.predict(r.sessionId, r.n ?? DEFAULT_PREDICTIONS);
  }

  // A request without fields may arrive as nil.
  @RpcOp('model', 'model')
  async model(@Payload() raw: unknown): Promise<PredictionCommands['model']['reply']> {
    return modelChunk(this.registry.current, requests.model.parse(raw ?? {}));
  }
}
