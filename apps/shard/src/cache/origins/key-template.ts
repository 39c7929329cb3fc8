import { originCaptures } from '@foresight/config';

/**
 * An origin's key pattern with captures: `{name}` matches one or more characters without `:` or
 * `/`, `*` one or more of any. `registryPattern` is the same pattern for cache-core's
 * `OriginRegistry`/`PatternTable` (every capture as `*`).
 */
export class OriginKeyPattern {
  readonly registryPattern: string;
  readonly captures: readonly string[];
  private readonly re: RegExp;

  constructor(readonly source: string) {
    this.captures = originCaptures(source);
    this.registryPattern = source.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, '*');
    const body = source
      .split(/(\{[A-Za-z_][A-Za-z0-9_]*\}|\*)/)
      .map((part) => (part === '*' ? '(.+)' : /^\{.*\}$/.test(part) ? '([^:/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('');
    this.re = new RegExp(`^${body}$`);
  }

  /** Capture values of `key` by name and by position (`1`, `2`, …), plus `key`; undefined when the key does not fit. */
  match(key: string): Record<string, string> | undefined {
    const m = this.re.exec(key);
    if (!m) return undefined;
    const values: Record<string, string> = { key };
    this.captures.forEach((name, i) => {
      values[name] = m[i + 1]!;
      values[String(i + 1)] = m[i + 1]!;
    });
    return values;
  }
}

/**
 * Fills a URL template (`http://catalog/items/{id}?full={key}`) with URL-encoded capture values.
 * Returns undefined when the key does not fit the pattern.
 */
export function fillUrl(template: string, pattern: OriginKeyPattern, key: string): string | undefined {
  const values = pattern.match(key);
  if (values === undefined) return undefined;
  let missing = false;
  const url = template.replace(/\{([^}]*)\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) missing = true;
    return encodeURIComponent(v ?? '');
  });
  return missing ? undefined : url;
}
