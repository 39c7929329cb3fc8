import { DEFAULT_PREDICTIONS, ErrorCodes, ForesightError, MAX_PREDICTIONS } from '@foresight/contracts';

/** `?n=` of `GET /v1/sessions/:id/predictions`: 1..MAX_PREDICTIONS, DEFAULT_PREDICTIONS when absent. */
export function predictionCountParam(raw: unknown): number {
  if (raw === undefined || raw === '') return DEFAULT_PREDICTIONS;
  const n = typeof raw === 'string' && /^[0-9]{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= MAX_PREDICTIONS)) {
    throw new ForesightError(ErrorCodes.VALIDATION, `Query parameter "n" must be an integer from 1 to ${MAX_PREDICTIONS}.`);
  }
  return n;
}
