import { Packr } from 'msgpackr';
import { PredictionError } from '../errors';
import { bytesOf, typedFrom } from '../util/binary';
import { checkCalibration, DEFAULT_KNN_CALIBRATION, type KnnCalibration } from './knn-predictor';
import { resolveKnnOptions, SessionKnn, type ResolvedKnnOptions } from './session-knn';

const FORMAT = 'foresight.sknn';
const VERSION = 1;
const packr = new Packr({ useRecords: false, moreTypes: false });

interface WireKnn {
  readonly format: string;
  readonly version: number;
  readonly options: ResolvedKnnOptions;
  readonly calibration: KnnCalibration;
  readonly vocabularySize: number;
  /** Distinct actions per held session, oldest session first. */
  readonly lengths: Buffer;
  readonly items: Buffer;
  /** Popularity counts per action. */
  readonly counts: Buffer;
}

/**
 * Serialises a kNN index and its calibration (MessagePack, arrays as raw bytes): the held
 * sessions' distinct actions, oldest first, and the popularity counts. About 4 bytes per
 * stored action; the action → sessions index is rebuilt on load.
 */
export function encodeKnn(index: SessionKnn, calibration: KnnCalibration = DEFAULT_KNN_CALIBRATION): Buffer {
  const sids = index.liveSessions();
  const lengths = new Int32Array(sids.length);
  let total = 0;
  const parts = sids.map((sid, i) => {
    const items = index.sessionItems(sid);
    lengths[i] = items.length;
    total += items.length;
    return items;
  });
  const items = new Int32Array(total);
  let at = 0;
  for (const p of parts) {
    items.set(p, at);
    at += p.length;
  }
  const counts = Uint32Array.from(index.countsView(), (c) => Math.min(c, 0xffff_ffff));
  const wire: WireKnn = {
    format: FORMAT,
    version: VERSION,
    options: index.options,
    calibration,
    vocabularySize: index.vocabularySize,
    lengths: bytesOf(lengths),
    items: bytesOf(items),
    counts: bytesOf(counts),
  };
  return Buffer.from(packr.pack(wire));
}

/**
 * Rebuilds a kNN index from {@link encodeKnn} output. Throws `PREDICTION.SNAPSHOT_CORRUPT` on
 * undecodable or inconsistent bytes, `PREDICTION.SNAPSHOT_INCOMPATIBLE` on another version.
 */
export function decodeKnn(bytes: Uint8Array): { index: SessionKnn; calibration: KnnCalibration } {
  let wire: WireKnn;
  try {
    wire = packr.unpack(bytes) as WireKnn;
  } catch (cause) {
    throw new PredictionError('PREDICTION.SNAPSHOT_CORRUPT', 'kNN snapshot is not valid MessagePack.', { cause });
  }
  if (wire === null || typeof wire !== 'object' || wire.format !== FORMAT) {
    throw new PredictionError('PREDICTION.SNAPSHOT_CORRUPT', 'Bytes are not a Foresight session-kNN snapshot.');
  }
  if (wire.version !== VERSION) {
    throw new PredictionError('PREDICTION.SNAPSHOT_INCOMPATIBLE', `kNN snapshot version ${wire.version} is not supported (expected ${VERSION}).`);
  }
  const lengths = typedFrom(Int32Array, wire.lengths);
  const items = typedFrom(Int32Array, wire.items);
  const counts = typedFrom(Uint32Array, wire.counts);
  const total = lengths?.reduce((s, n) => s + n, 0);
  const V = Number(wire.vocabularySize);
  if (
    !lengths ||
    !items ||
    !counts ||
    items.length !== total ||
    lengths.some((n) => n < 0) ||
    !Number.isInteger(V) ||
    V < 1 ||
    counts.length > V ||
    items.some((a) => a < 0 || a >= V)
  ) {
    throw new PredictionError('PREDICTION.SNAPSHOT_CORRUPT', 'kNN snapshot arrays are missing or inconsistent.');
  }
  let index: SessionKnn;
  let calibration: KnnCalibration;
  try {
    index = new SessionKnn(resolveKnnOptions(wire.options));
    const c = wire.calibration;
    calibration = checkCalibration({
      exponent: Number(c?.exponent),
      weight: Number(c?.weight),
      ...(c?.afterDecay === undefined ? {} : { afterDecay: Number(c.afterDecay) }),
    });
  } catch (cause) {
    throw new PredictionError('PREDICTION.SNAPSHOT_CORRUPT', 'kNN snapshot options are invalid.', { cause });
  }
  // Replaying the sessions in order rebuilds the ring and the action → recent sessions index;
  // the popularity counts are then restored as they were.
  let at = 0;
  for (const n of lengths) {
    index.observeSession(items.subarray(at, at + n));
    at += n;
  }
  index.restoreVocabulary(V);
  index.restoreCounts(counts);
  return { index, calibration };
}
