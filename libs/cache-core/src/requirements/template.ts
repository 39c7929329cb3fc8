import { CacheError } from '../errors';
import { isValidKey } from '../keys';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.]*)\}/g;

/** Why a key template could not be turned into a key. */
export type SkipReason = 'UNBOUND_PLACEHOLDER' | 'INVALID_KEY';

/** A template that was skipped, with a reason fit for a log line. */
export interface SkippedTemplate {
  readonly template: string;
  readonly reason: SkipReason;
  readonly detail: string;
}

/** Result of filling a template: a key, or a reason it was skipped. */
export type FillResult = { readonly key: string } | { readonly skipped: SkippedTemplate };

function checkBraces(source: string, what: string): void {
  const stripped = source.replace(PLACEHOLDER, '');
  if (stripped.includes('{') || stripped.includes('}')) {
    throw new CacheError(
      'REQUIREMENT.INVALID_TEMPLATE',
      `${what} ${JSON.stringify(source)} has a malformed placeholder; use {name} with letters, digits, "_" or ".".`,
    );
  }
}

/**
 * Action pattern with named placeholders, e.g. `view_product:{id}`. A placeholder matches one
 * segment: one or more characters other than `:` and `/`.
 */
export class ActionPattern {
  private readonly re: RegExp;
  private readonly names: string[] = [];
  /** Literal characters; the most specific matching pattern wins. */
  readonly specificity: number;

  constructor(readonly source: string) {
    if (typeof source !== 'string' || source.length === 0 || source.length > 256) {
      throw new CacheError('REQUIREMENT.INVALID_TEMPLATE', 'An action pattern is a non-empty string of at most 256 characters.');
    }
    checkBraces(source, 'Action pattern');
    let body = '';
    let last = 0;
    for (const m of source.matchAll(PLACEHOLDER)) {
      body += escape(source.slice(last, m.index)) + '([^:/]+)';
      this.names.push(m[1]!);
      last = m.index! + m[0].length;
    }
    body += escape(source.slice(last));
    if (new Set(this.names).size !== this.names.length) {
      throw new CacheError('REQUIREMENT.INVALID_TEMPLATE', `Action pattern ${JSON.stringify(source)} repeats a placeholder name.`);
    }
    this.re = new RegExp(`^${body}$`);
    this.specificity = source.replace(PLACEHOLDER, '').length;
  }

  /** Placeholder values when `action` matches, else `undefined`. */
  match(action: string): Record<string, string> | undefined {
    const m = this.re.exec(action);
    if (m === null) return undefined;
    const params: Record<string, string> = {};
    this.names.forEach((name, i) => (params[name] = m[i + 1]!));
    return params;
  }
}

/** Key template with placeholders, e.g. `reviews:{id}` or `cart:{session.userId}`. */
export class KeyTemplate {
  readonly placeholders: readonly string[];

  constructor(readonly source: string) {
    if (typeof source !== 'string' || source.length === 0 || source.length > 512 || source.includes('*') || /\s/.test(source)) {
      throw new CacheError(
        'REQUIREMENT.INVALID_TEMPLATE',
        `Key template ${JSON.stringify(String(source).slice(0, 80))} must be 1-512 characters without spaces or "*".`,
      );
    }
    checkBraces(source, 'Key template');
    this.placeholders = [...source.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  }

  /** Fills the placeholders from `values`; reports an unbound placeholder or an invalid result. */
  fill(values: Readonly<Record<string, string | number | undefined>>): FillResult {
    const missing = this.placeholders.filter((name) => values[name] === undefined || values[name] === '');
    if (missing.length > 0) {
      return { skipped: { template: this.source, reason: 'UNBOUND_PLACEHOLDER', detail: `no value for {${missing.join('}, {')}}` } };
    }
    const key = this.source.replace(PLACEHOLDER, (_, name: string) => String(values[name]));
    if (!isValidKey(key as unknown)) {
      return { skipped: { template: this.source, reason: 'INVALID_KEY', detail: `filled key ${JSON.stringify(key.slice(0, 80))} is not a valid cache key` } };
    }
    return { key };
  }
}

function escape(literal: string): string {
  return literal.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
}
