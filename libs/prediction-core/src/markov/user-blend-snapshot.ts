import { Packr } from 'msgpackr';
import { PredictionError } from '../errors';
import { decodeMarkov, encodeMarkov } from './snapshot';
import { UserBlendedMarkov, type UserBlendOptions } from './user-blend';

const FORMAT = 'foresight.markov-users';
const VERSION = 1;
const packr = new Packr({ useRecords: false });

interface WireBlend {
  readonly format: string;
  readonly version: number;
  readonly options: UserBlendOptions;
  readonly global: Uint8Array;
  readonly users: readonly (readonly [string, Uint8Array])[];
}

/** Serialises the global model and every per-user model into one MessagePack buffer. */
export function encodeUserBlend(blend: UserBlendedMarkov): Buffer {
  const wire: WireBlend = {
    format: FORMAT,
    version: VERSION,
    options: {
      priorStrength: blend.priorStrength,
      maxUserWeight: blend.maxUserWeight,
      maxUsers: blend.maxUsers,
      updateGlobal: blend.updateGlobal,
    },
    global: encodeMarkov(blend.global),
    users: [...blend.entries()].map(([id, m]) => [id, encodeMarkov(m)] as const),
  };
  return Buffer.from(packr.pack(wire));
}

/** Inverse of {@link encodeUserBlend}; throws `PREDICTION.SNAPSHOT_CORRUPT` / `..._INCOMPATIBLE`. */
export function decodeUserBlend(bytes: Uint8Array, options: UserBlendOptions = {}): UserBlendedMarkov {
  let wire: WireBlend;
  try {
    wire = packr.unpack(bytes) as WireBlend;
  } catch (cause) {
    throw new PredictionError('PREDICTION.SNAPSHOT_CORRUPT', 'User-blend snapshot is not valid MessagePack.', { cause });
  }
  if (wire === null || typeof wire !== 'object' || wire.format !== FORMAT || !Array.isArray(wire.users)) {
    throw new PredictionError('PREDICTION.SNAPSHOT_CORRUPT', 'Bytes are not a Foresight user-blend snapshot.');
  }
  if (wire.version !== VERSION) {
    throw new PredictionError('PREDICTION.SNAPSHOT_INCOMPATIBLE', `User-blend snapshot version ${wire.version} is not supported.`);
  }
  const blend = new UserBlendedMarkov(decodeMarkov(wire.global), { ...wire.options, ...options });
  for (const entry of wire.users) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') {
      throw new PredictionError('PREDICTION.SNAPSHOT_CORRUPT', 'User-blend snapshot has a malformed user entry.');
    }
    blend.setUser(entry[0], decodeMarkov(entry[1] as Uint8Array));
  }
  return blend;
}
