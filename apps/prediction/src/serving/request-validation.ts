import { DEFAULT_PREDICTIONS, ErrorCodes, ForesightError, MAX_PREDICTIONS } from '@foresight/contracts';

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

function invalid(message: string): ForesightError {
  return new ForesightError(ErrorCodes.VALIDATION, message);
}

function body(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('The request must be a MessagePack map.');
  return raw as Record<string, unknown>;
}

/** `n` of a prediction request: an integer 1..MAX_PREDICTIONS, DEFAULT_PREDICTIONS when absent. */
export function predictionCount(n: unknown): number {
  if (n === undefined || n === null) return DEFAULT_PREDICTIONS;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PREDICTIONS) {
    throw invalid(`"n" must be an integer from 1 to ${MAX_PREDICTIONS}.`);
  }
  return n;
}

/** A `predict` request: `{sessionId, n?}`. */
export function predictRequest(raw: unknown): { sessionId: string; n: number } {
  const b = body(raw);
  if (typeof b.sessionId !== 'string' || !SESSION_ID.test(b.sessionId)) throw invalid('"sessionId" must be a session id (1–64 characters of A–Z a–z 0–9 _ -).');
  return { sessionId: b.sessionId, n: predictionCount(b.n) };
}

/** A `model` request: `{modelVersion?, chunk?}`. */
export function modelRequest(raw: unknown): { modelVersion?: string; chunk: number } {
  const b = raw === undefined || raw === null ? {} : body(raw);
  if (b.modelVersion !== undefined && (typeof b.modelVersion !== 'string' || b.modelVersion.length > 32)) throw invalid('"modelVersion" must be a version string such as "v3".');
  const chunk = b.chunk ?? 0;
  if (typeof chunk !== 'number' || !Number.isInteger(chunk) || chunk < 0) throw invalid('"chunk" must be a non-negative integer.');
  return { modelVersion: b.modelVersion as string | undefined, chunk };
}
