import { isValidKey, MAX_KEY_LENGTH } from '@foresight/cache-core';
import { ErrorCodes, ForesightError } from '@foresight/contracts';

/** A data key from the URL: 1–512 visible ASCII characters without spaces or `*`, else REQUEST.INVALID. */
export function dataKeyParam(raw: unknown): string {
  if (!isValidKey(raw)) {
    throw new ForesightError(ErrorCodes.VALIDATION, `A data key is 1-${MAX_KEY_LENGTH} visible ASCII characters without spaces or "*" (URL-encode "/" and "?").`);
  }
  return raw;
}
