import { isValidKey } from '../keys';
import type { DeclaredRequirements } from './declared';
import type { LearnedRequirements } from './learned';
import type { SkippedTemplate } from './template';

/** A key an action needs, with the probability the action reads it (1 for declared keys). */
export interface RequiredKey {
  readonly key: string;
  readonly weight: number;
  readonly source: 'declared' | 'learned';
}

/** Resolution of an action's requirements. */
export interface Requirements {
  readonly keys: readonly RequiredKey[];
  readonly skipped: readonly SkippedTemplate[];
}

/**
 * Combines declared and learned requirements. Declared keys weigh 1; learned ones weigh their
 * confidence and add to the declared ones (a declaration may be incomplete).
 */
export class RequirementResolver {
  constructor(
    private readonly declared?: DeclaredRequirements,
    private readonly learned?: LearnedRequirements,
  ) {}

  resolve(action: string, context: Readonly<Record<string, string | number | undefined>> = {}): Requirements {
    const byKey = new Map<string, RequiredKey>();
    let skipped: readonly SkippedTemplate[] = [];
    if (this.declared) {
      const d = this.declared.resolve(action, context);
      skipped = d.skipped;
      for (const key of d.keys) byKey.set(key, { key, weight: 1, source: 'declared' });
    }
    if (this.learned) {
      for (const r of this.learned.requirementsFor(action)) {
        if (r.key === undefined || !isValidKey(r.key) || byKey.has(r.key)) continue;
        byKey.set(r.key, { key: r.key, weight: Math.min(1, r.confidence), source: 'learned' });
      }
    }
    return { keys: [...byKey.values()], skipped };
  }
}
