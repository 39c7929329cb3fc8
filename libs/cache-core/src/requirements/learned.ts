import { requireInt, requireNumber } from '../errors';
import { isValidKey } from '../keys';
import { actionShape, keyToTemplate, templateToKey } from './action-shape';

/** Options of {@link LearnedRequirements}. */
export interface LearnedRequirementsOptions {
  /** Minimum decayed number of windows in which a key was read (default 3). */
  readonly minSupport?: number;
  /** Minimum share of the action's windows in which the key was read (default 0.3). */
  readonly minConfidence?: number;
  /** Occurrences of an action shape after which older evidence weighs half (default 500). */
  readonly halfLife?: number;
  /** Keys attributed to one action occurrence at most (default 64). */
  readonly maxKeysPerWindow?: number;
  /** Templates remembered per action shape (default 64). */
  readonly maxTemplatesPerShape?: number;
  /** Action shapes remembered (default 50,000; the least used are forgotten beyond). */
  readonly maxShapes?: number;
}

/** A learned requirement with its evidence. */
export interface LearnedRequirement {
  readonly template: string;
  readonly key?: string;
  /** Decayed share of the action's occurrences followed by a read of the key. */
  readonly confidence: number;
  /** Decayed number of occurrences followed by a read of the key. */
  readonly support: number;
}

/** Evidence of one action shape, as exported: decayed counts as of the export. */
export interface LearnedShapeEvidence {
  readonly shape: string;
  /** Decayed number of occurrences of the action shape. */
  readonly n: number;
  /** Decayed number of occurrences followed by a read, per key template. */
  readonly templates: readonly (readonly [template: string, support: number])[];
}

interface ShapeStats {
  occ: number;
  n: number;
  readonly templates: Map<string, { c: number; at: number }>;
}

interface Window {
  readonly shape: string;
  readonly params: readonly string[];
  readonly templates: Set<string>;
}

/**
 * Learns what sessions read after each kind of action. Every key read between an action and the
 * session's next action is attributed to that action (at most once per occurrence), generalised to a
 * template over the action's parameters. Evidence decays with the action's occurrences, so changed
 * behaviour is learned again; a requirement is reported once it passes the support and confidence
 * thresholds.
 */
export class LearnedRequirements {
  private readonly shapes = new Map<string, ShapeStats>();
  private readonly windows = new Map<string, Window>();
  private readonly minSupport: number;
  private readonly minConfidence: number;
  private readonly gamma: number;
  private readonly maxKeys: number;
  private readonly maxTemplates: number;
  private readonly maxShapes: number;

  constructor(options: LearnedRequirementsOptions = {}) {
    this.minSupport = requireNumber('minSupport', options.minSupport ?? 3, 0);
    this.minConfidence = requireNumber('minConfidence', options.minConfidence ?? 0.3, 0, 1);
    this.gamma = 2 ** (-1 / requireNumber('halfLife', options.halfLife ?? 500, 1));
    this.maxKeys = requireInt('maxKeysPerWindow', options.maxKeysPerWindow ?? 64, 1);
    this.maxTemplates = requireInt('maxTemplatesPerShape', options.maxTemplatesPerShape ?? 64, 1);
    this.maxShapes = requireInt('maxShapes', options.maxShapes ?? 50_000, 1);
  }

  /** The session performed `action`: closes its previous window and opens a new one. */
  onAction(sessionId: string, action: string): void {
    this.close(sessionId);
    const { shape, params } = actionShape(action);
    this.windows.set(sessionId, { shape, params, templates: new Set() });
  }

  /** The session read `key`: attributed to its current action. */
  onRead(sessionId: string, key: string): void {
    const w = this.windows.get(sessionId);
    if (w === undefined || w.templates.size >= this.maxKeys || !isValidKey(key)) return;
    w.templates.add(keyToTemplate(key, w.params));
  }

  /** Closes the session's open window. */
  endSession(sessionId: string): void {
    this.close(sessionId);
  }

  /** Requirements of `action` that pass the thresholds, most confident first, with keys filled in. */
  requirementsFor(action: string): LearnedRequirement[] {
    const { shape, params } = actionShape(action);
    const s = this.shapes.get(shape);
    if (s === undefined) return [];
    const out: LearnedRequirement[] = [];
    for (const [template, t] of s.templates) {
      const support = t.c * this.gamma ** (s.occ - t.at);
      const confidence = support / s.n;
      if (support < this.minSupport || confidence < this.minConfidence) continue;
      const key = templateToKey(template, params);
      out.push(key === undefined ? { template, confidence, support } : { template, key, confidence, support });
    }
    return out.sort((a, b) => b.confidence - a.confidence);
  }

  /**
   * The evidence, for storage: at most `maxShapes` shapes (the most seen first), each with its
   * templates whose decayed support is at least `minTemplateSupport` (default 1).
   */
  exportEvidence(maxShapes = 10_000, minTemplateSupport = 1): LearnedShapeEvidence[] {
    return [...this.shapes]
      .sort((a, b) => b[1].n - a[1].n)
      .slice(0, maxShapes)
      .map(([shape, s]) => ({
        shape,
        n: s.n,
        templates: [...s.templates]
          .map(([template, t]) => [template, t.c * this.gamma ** (s.occ - t.at)] as const)
          .filter(([, support]) => support >= minTemplateSupport),
      }))
      .filter((e) => e.templates.length > 0);
  }

  /**
   * Adds stored evidence to what this instance has seen (a restarted node restoring its own, a new
   * node starting from the cluster's). Malformed entries are skipped; returns the shapes taken.
   */
  importEvidence(evidence: readonly LearnedShapeEvidence[]): number {
    let taken = 0;
    for (const e of evidence) {
      if (typeof e?.shape !== 'string' || !(e.n > 0) || !Array.isArray(e.templates)) continue;
      let s = this.shapes.get(e.shape);
      if (s === undefined) {
        if (this.shapes.size >= this.maxShapes) this.forgetLeastUsedShape();
        s = { occ: 0, n: 0, templates: new Map() };
        this.shapes.set(e.shape, s);
      }
      s.n += e.n;
      for (const entry of e.templates) {
        const [template, support] = Array.isArray(entry) ? entry : [];
        if (typeof template !== 'string' || typeof support !== 'number' || !(support > 0) || support > e.n + 1e-9) continue;
        const t = s.templates.get(template);
        if (t === undefined) s.templates.set(template, { c: support, at: s.occ });
        else {
          t.c = t.c * this.gamma ** (s.occ - t.at) + support;
          t.at = s.occ;
        }
      }
      if (s.templates.size > this.maxTemplates) this.trim(s);
      taken++;
    }
    return taken;
  }

  /** Number of action shapes with evidence. */
  get shapeCount(): number {
    return this.shapes.size;
  }

  private close(sessionId: string): void {
    const w = this.windows.get(sessionId);
    if (w === undefined) return;
    this.windows.delete(sessionId);
    let s = this.shapes.get(w.shape);
    if (s === undefined) {
      if (this.shapes.size >= this.maxShapes) this.forgetLeastUsedShape();
      s = { occ: 0, n: 0, templates: new Map() };
      this.shapes.set(w.shape, s);
    }
    s.occ++;
    s.n = s.n * this.gamma + 1;
    for (const template of w.templates) {
      const t = s.templates.get(template);
      if (t === undefined) s.templates.set(template, { c: 1, at: s.occ });
      else {
        t.c = t.c * this.gamma ** (s.occ - t.at) + 1;
        t.at = s.occ;
      }
    }
    if (s.templates.size > this.maxTemplates) this.trim(s);
  }

  private trim(s: ShapeStats): void {
    const ranked = [...s.templates].map(([k, t]) => [k, t.c * this.gamma ** (s.occ - t.at)] as const).sort((a, b) => b[1] - a[1]);
    for (const [k] of ranked.slice(this.maxTemplates)) s.templates.delete(k);
  }

  private forgetLeastUsedShape(): void {
    let worst: string | undefined;
    let min = Number.POSITIVE_INFINITY;
    for (const [shape, s] of this.shapes) {
      if (s.n < min) {
        min = s.n;
        worst = shape;
      }
    }
    if (worst !== undefined) this.shapes.delete(worst);
  }
}
