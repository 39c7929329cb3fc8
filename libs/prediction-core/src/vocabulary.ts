import { PredictionError, requireInt } from './errors';

/** Name of the catch-all bucket; it always has index {@link UNKNOWN_INDEX}. */
export const UNKNOWN_ACTION = '<unk>';
/** Dense index of the catch-all bucket. */
export const UNKNOWN_INDEX = 0;

/** Serialisable form of a {@link Vocabulary} (plain JSON). */
export interface VocabularySnapshot {
  readonly version: 1;
  readonly maxSize: number;
  /** Action names in index order; `actions[0]` is always {@link UNKNOWN_ACTION}. */
  readonly actions: readonly string[];
}

/** Options for {@link Vocabulary}. */
export interface VocabularyOptions {
  /** Maximum number of indices including the catch-all (default 65,536). */
  readonly maxSize?: number;
  /** Initial actions, encoded in order. */
  readonly actions?: readonly string[];
}

/**
 * Maps string actions to dense integer indices `0..size-1` and back.
 *
 * Index 0 is the catch-all `<unk>` bucket: unseen actions map to it when the vocabulary is full
 * (or when looked up without growth), so models never see an out-of-range index.
 */
export class Vocabulary {
  private readonly byName = new Map<string, number>();
  private readonly names: string[] = [UNKNOWN_ACTION];
  readonly maxSize: number;

  constructor(options: VocabularyOptions = {}) {
    this.maxSize = requireInt('maxSize', options.maxSize ?? 65_536, 2);
    this.byName.set(UNKNOWN_ACTION, UNKNOWN_INDEX);
    for (const action of options.actions ?? []) this.encode(action);
  }

  /** Number of indices in use, including the catch-all. */
  get size(): number {
    return this.names.length;
  }

  /** True when no new action can get its own index. */
  get isFull(): boolean {
    return this.names.length >= this.maxSize;
  }

  /** Index of `action`, adding it when there is room; the catch-all index when the vocabulary is full. */
  encode(action: string): number {
    const known = this.byName.get(checkAction(action));
    if (known !== undefined) return known;
    if (this.isFull) return UNKNOWN_INDEX;
    const index = this.names.length;
    this.names.push(action);
    this.byName.set(action, index);
    return index;
  }

  /** Index of `action` without growing the vocabulary (catch-all when unknown). */
  lookup(action: string): number {
    return this.byName.get(action) ?? UNKNOWN_INDEX;
  }

  /** True when `action` has its own index. */
  has(action: string): boolean {
    return this.byName.has(action);
  }

  /** Action name of `index`; throws `PREDICTION.INVALID_ARGUMENT` when out of range. */
  decode(index: number): string {
    requireInt('index', index, 0, this.names.length - 1);
    return this.names[index]!;
  }

  /** Encodes every action of a sequence (growing as {@link encode} does). */
  encodeAll(actions: readonly string[]): number[] {
    return actions.map((a) => this.encode(a));
  }

  /** Plain serialisable snapshot. */
  toJSON(): VocabularySnapshot {
    return { version: 1, maxSize: this.maxSize, actions: [...this.names] };
  }

  /** Rebuilds a vocabulary; throws `PREDICTION.VOCABULARY_CORRUPT` on malformed input. */
  static fromJSON(value: unknown): Vocabulary {
    const snap = value as Partial<VocabularySnapshot> | null;
    const ok =
      snap !== null &&
      typeof snap === 'object' &&
      snap.version === 1 &&
      Number.isInteger(snap.maxSize) &&
      Array.isArray(snap.actions) &&
      snap.actions[0] === UNKNOWN_ACTION &&
      snap.actions.length <= (snap.maxSize ?? 0) &&
      snap.actions.every((a) => typeof a === 'string' && a.length > 0) &&
      new Set(snap.actions).size === snap.actions.length;
    if (!ok) throw new PredictionError('PREDICTION.VOCABULARY_CORRUPT', 'Vocabulary snapshot is malformed or from an unknown version.');
    return new Vocabulary({ maxSize: snap.maxSize, actions: snap.actions!.slice(1) });
  }
}

function checkAction(action: string): string {
  if (typeof action !== 'string' || action.length === 0) {
    throw new PredictionError('PREDICTION.INVALID_ARGUMENT', 'An action must be a non-empty string.');
  }
  return action;
}
