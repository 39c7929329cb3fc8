import { ActionPattern, KeyTemplate, type SkippedTemplate } from './template';

/** Keys an action needs, and the templates that could not be filled. */
export interface ResolvedKeys {
  readonly keys: readonly string[];
  readonly skipped: readonly SkippedTemplate[];
}

interface Declaration {
  readonly pattern: ActionPattern;
  readonly templates: readonly KeyTemplate[];
}

/**
 * Data requirements declared by the application: action pattern → key templates
 * (`view_product:{id}` → `product:{id}`, `reviews:{id}`). Templates may also use context values
 * supplied at resolution time (`cart:{userId}`).
 */
export class DeclaredRequirements {
  private rows: Declaration[] = [];

  /** Declares (or replaces) what `actionPattern` needs; throws `REQUIREMENT.INVALID_TEMPLATE` on bad syntax. */
  declare(actionPattern: string, keyTemplates: readonly string[]): void {
    const decl: Declaration = { pattern: new ActionPattern(actionPattern), templates: keyTemplates.map((t) => new KeyTemplate(t)) };
    this.rows = this.rows.filter((r) => r.pattern.source !== actionPattern);
    this.rows.push(decl);
    this.rows.sort((a, b) => b.pattern.specificity - a.pattern.specificity);
  }

  /** Removes a declaration; returns false when there was none. */
  remove(actionPattern: string): boolean {
    const before = this.rows.length;
    this.rows = this.rows.filter((r) => r.pattern.source !== actionPattern);
    return this.rows.length < before;
  }

  /** Declared patterns with their templates. */
  list(): { actionPattern: string; keyTemplates: string[] }[] {
    return this.rows.map((r) => ({ actionPattern: r.pattern.source, keyTemplates: r.templates.map((t) => t.source) }));
  }

  /** True when some declaration matches `action`. */
  covers(action: string): boolean {
    return this.rows.some((r) => r.pattern.match(action) !== undefined);
  }

  /** Keys the most specific matching declaration needs; context values fill placeholders the action does not bind. */
  resolve(action: string, context: Readonly<Record<string, string | number | undefined>> = {}): ResolvedKeys {
    for (const row of this.rows) {
      const params = row.pattern.match(action);
      if (params === undefined) continue;
      const keys: string[] = [];
      const skipped: SkippedTemplate[] = [];
      for (const t of row.templates) {
        const r = t.fill({ ...context, ...params });
        if ('key' in r) keys.push(r.key);
        else skipped.push(r.skipped);
      }
      return { keys, skipped };
    }
    return { keys: [], skipped: [] };
  }
}
