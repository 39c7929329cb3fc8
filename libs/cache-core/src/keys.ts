import { DATA_KEY_PATTERN, Limits } from '@foresight/contracts';
import { CacheError } from './errors';

/** Longest accepted cache key, in characters. */
export const MAX_KEY_LENGTH = Limits.dataKeyLength;

const KEY_RE = new RegExp(DATA_KEY_PATTERN);
const PATTERN_RE = /^[\x21-\x7e]+$/;

/** True when `key` is a valid cache key: 1–512 visible ASCII characters, no space, no `*`. */
export function isValidKey(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0 && key.length <= MAX_KEY_LENGTH && KEY_RE.test(key);
}

/** Returns `key` or throws `CACHE.INVALID_KEY`. */
export function requireKey(key: unknown): string {
  if (!isValidKey(key)) {
    throw new CacheError(
      'CACHE.INVALID_KEY',
      `Cache keys are 1-${MAX_KEY_LENGTH} visible ASCII characters without spaces or "*"; got ${JSON.stringify(String(key).slice(0, 80))}.`,
    );
  }
  return key;
}

/**
 * A key pattern: literal characters plus `*`, which matches one or more characters
 * (`product:*`, `user:*:orders`). A pattern without `*` matches exactly one key.
 */
export class KeyPattern {
  private readonly re: RegExp;
  /** Number of literal characters; more specific patterns win when several match. */
  readonly specificity: number;

  constructor(readonly source: string) {
    if (typeof source !== 'string' || source.length === 0 || source.length > MAX_KEY_LENGTH || !PATTERN_RE.test(source) || source.includes('**')) {
      throw new CacheError(
        'CACHE.INVALID_PATTERN',
        `Key patterns are 1-${MAX_KEY_LENGTH} visible ASCII characters where "*" matches one or more characters (no "**"); got ${JSON.stringify(String(source).slice(0, 80))}.`,
      );
    }
    const body = source
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.+');
    this.re = new RegExp(`^${body}$`);
    this.specificity = source.replace(/\*/g, '').length;
  }

  matches(key: string): boolean {
    return this.re.test(key);
  }
}

/** Ordered set of patterns with values; {@link match} returns the most specific matching one. */
export class PatternTable<T> {
  private readonly rows: { pattern: KeyPattern; value: T }[] = [];

  /** Adds or replaces the value of `pattern`. */
  set(pattern: string, value: T): void {
    const compiled = new KeyPattern(pattern);
    const existing = this.rows.find((r) => r.pattern.source === pattern);
    if (existing) existing.value = value;
    else this.rows.push({ pattern: compiled, value });
    this.rows.sort((a, b) => b.pattern.specificity - a.pattern.specificity);
  }

  delete(pattern: string): boolean {
    const i = this.rows.findIndex((r) => r.pattern.source === pattern);
    if (i < 0) return false;
    this.rows.splice(i, 1);
    return true;
  }

  /** Value of the most specific pattern matching `key` (longest literal part; first registered on ties). */
  match(key: string): T | undefined {
    for (const row of this.rows) if (row.pattern.matches(key)) return row.value;
    return undefined;
  }

  get size(): number {
    return this.rows.length;
  }
}
