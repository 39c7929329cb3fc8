import { ActionPattern, isCacheError, KeyTemplate } from '@foresight/cache-core';
import { ErrorCodes, ForesightError, isStorableText, RequirementDeclaration, unstorableTextMessage, Validator } from '@foresight/contracts';

const declarations = new Validator(RequirementDeclaration);

/**
 * Checks a declaration from the wire: `{ pattern, keys }` with a valid action pattern and valid key
 * templates (cache-core's syntax). Throws `REQUEST.INVALID` for a wrong shape, `CACHE.INVALID_PATTERN`
 * for a bad action pattern and `REQUIREMENT.INVALID_TEMPLATE` for a bad key template.
 */
export function parseDeclaration(raw: unknown): RequirementDeclaration {
  const b = declarations.parse(raw);
  // Actions are letters, digits and _ . : / - (see the shard's record_action); placeholders aside, so are patterns.
  if (!/^[A-Za-z0-9_.:/-]*$/.test(b.pattern.replace(/\{[A-Za-z0-9_.]+\}/g, '')) && !/[{}]/.test(b.pattern.replace(/\{[A-Za-z0-9_.]+\}/g, ''))) {
    throw new ForesightError(
      ErrorCodes.CACHE_INVALID_PATTERN,
      `Invalid action pattern ${JSON.stringify(b.pattern.slice(0, 80))}: use letters, digits, _ . : / - and {name} placeholders.`,
    );
  }
  try {
    new ActionPattern(b.pattern);
  } catch (error) {
    throw new ForesightError(ErrorCodes.CACHE_INVALID_PATTERN, `Invalid action pattern: ${isCacheError(error) ? error.message : String(error)}`);
  }
  for (const k of b.keys) {
    // Kept in Postgres (jsonb), which refuses NUL; a filled key is printable ASCII anyway.
    if (!isStorableText(k)) throw new ForesightError(ErrorCodes.REQUIREMENT_INVALID_TEMPLATE, unstorableTextMessage('keys'));
    try {
      new KeyTemplate(k);
    } catch (error) {
      throw new ForesightError(ErrorCodes.REQUIREMENT_INVALID_TEMPLATE, `Invalid key template: ${isCacheError(error) ? error.message : String(error)}`);
    }
  }
  return { pattern: b.pattern, keys: [...new Set(b.keys)] };
}
