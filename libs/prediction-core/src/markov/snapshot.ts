import { Packr } from 'msgpackr';
import { PredictionError } from '../errors';
import { bytesOf, typedFrom } from '../util/binary';
import { SuccessorList } from './successor-list';
import { resolveMarkovOptions, VariableOrderMarkov, type ResolvedMarkovOptions } from './variable-order-markov';

const FORMAT = 'foresight.markov';
const VERSION = 1;
/** Version of the context hashing scheme the keys were computed with. */
const HASH_SCHEME = 1;

const packr = new Packr({ useRecords: false, moreTypes: false });

/** Plain (JSON-like) form of a model; list 0 is the order-0 context. */
interface WireSnapshot {
  readonly format: string;
  readonly version: number;
  readonly hash: number;
  readonly options: ResolvedMarkovOptions;
  readonly vocabularySize: number;
  readonly observations: number;
  readonly keys: Buffer;
  readonly sizes: Buffer;
  readonly actions: Buffer;
  readonly counts: Buffer;
}

/** Serialises a model into a compact MessagePack buffer (counts and keys as raw typed arrays). */
export function encodeMarkov(model: VariableOrderMarkov): Buffer {
  const lists = [model.root, ...model.contexts.values()];
  const entries = lists.reduce((sum, l) => sum + l.size, 0);
  const keys = new Float64Array(lists.length);
  const sizes = new Uint32Array(lists.length);
  const actions = new Int32Array(entries);
  const counts = new Uint32Array(entries);
  let i = 0;
  let at = 0;
  const put = (key: number, list: SuccessorList): void => {
    keys[i] = key;
    sizes[i++] = list.size;
    actions.set(list.actions.subarray(0, list.size), at);
    counts.set(list.counts.subarray(0, list.size), at);
    at += list.size;
  };
  put(0, model.root);
  for (const [key, list] of model.contexts) put(key, list);
  const wire: WireSnapshot = {
    format: FORMAT,
    version: VERSION,
    hash: HASH_SCHEME,
    options: model.options,
    vocabularySize: model.vocabularySize,
    observations: model.observations,
    keys: bytesOf(keys),
    sizes: bytesOf(sizes),
    actions: bytesOf(actions),
    counts: bytesOf(counts),
  };
  return Buffer.from(packr.pack(wire));
}

/**
 * Rebuilds a model from {@link encodeMarkov} output. Throws `PREDICTION.SNAPSHOT_CORRUPT` on
 * undecodable or inconsistent bytes, `PREDICTION.SNAPSHOT_INCOMPATIBLE` on another format version.
 */
export function decodeMarkov(bytes: Uint8Array): VariableOrderMarkov {
  let wire: WireSnapshot;
  try {
    wire = packr.unpack(bytes) as WireSnapshot;
  } catch (cause) {
    throw new PredictionError('PREDICTION.SNAPSHOT_CORRUPT', 'Markov snapshot is not valid MessagePack.', { cause });
  }
  if (wire === null || typeof wire !== 'object' || wire.format !== FORMAT) {
    throw new PredictionError('PREDICTION.SNAPSHOT_CORRUPT', 'Bytes are not a Foresight Markov snapshot.');
  }
  if (wire.version !== VERSION || wire.hash !== HASH_SCHEME) {
    throw new PredictionError(
      'PREDICTION.SNAPSHOT_INCOMPATIBLE',
      `Markov snapshot version ${wire.version}/hash ${wire.hash} is not supported (expected ${VERSION}/${HASH_SCHEME}).`,
    );
  }
  const keys = typedFrom(Float64Array, wire.keys);
  const sizes = typedFrom(Uint32Array, wire.sizes);
  const actions = typedFrom(Int32Array, wire.actions);
  const counts = typedFrom(Uint32Array, wire.counts);
  const total = sizes?.reduce((s, n) => s + n, 0);
  if (!keys || !sizes || !actions || !counts || keys.length !== sizes.length || keys.length === 0 || actions.length !== total || counts.length !== total) {
    throw new PredictionError('PREDICTION.SNAPSHOT_CORRUPT', 'Markov snapshot arrays are missing or inconsistent.');
  }
  let model: VariableOrderMarkov;
  try {
    model = new VariableOrderMarkov(resolveMarkovOptions(wire.options));
  } catch (cause) {
    throw new PredictionError('PREDICTION.SNAPSHOT_CORRUPT', 'Markov snapshot options are invalid.', { cause });
  }
  let at = 0;
  let root: SuccessorList | null = null;
  for (let i = 0; i < keys.length; i++) {
    const list = SuccessorList.fromSorted(actions.subarray(at, at + sizes[i]!), counts.subarray(at, at + sizes[i]!));
    at += sizes[i]!;
    if (i === 0) root = list;
    else model.contexts.set(keys[i]!, list);
  }
  model.restore(root!, Number(wire.vocabularySize) || 1, Number(wire.observations) || 0);
  return model;
}
