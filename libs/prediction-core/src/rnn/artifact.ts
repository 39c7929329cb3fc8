import type * as TF from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { Packr } from 'msgpackr';
import { PredictionError } from '../errors';
import type { VocabularySnapshot } from '../vocabulary';
import { resolveRnnConfig, type RnnConfig } from './config';
import { oneHotRecurrentLayer } from './recurrent-layer';
import { logitsLayer } from './logits-layer';
import { RnnModel } from './rnn-model';
import { initBackend, loadTf } from './tf';

const MAGIC = Buffer.from('FSRNN', 'ascii');
const FORMAT = 'foresight.rnn';
/** Version of the artifact layout; bump on incompatible changes. */
const RNN_ARTIFACT_FORMAT_VERSION = 1;

const packr = new Packr({ useRecords: false });

interface WireArtifact {
  readonly format: string;
  readonly formatVersion: number;
  readonly modelVersion: string;
  readonly createdAt: string;
  readonly config: RnnConfig;
  readonly vocabulary: VocabularySnapshot | null;
  readonly topology: string;
  readonly weightSpecs: string;
  readonly weights: Uint8Array;
  readonly checksum: string;
}

/**
 * Serialises a model into one self-contained buffer (suitable for a bytea column): magic bytes,
 * then MessagePack of the version, config, vocabulary, topology JSON, weight specs, the raw
 * weights and a SHA-256 over them.
 */
export async function saveRnnArtifact(model: RnnModel, createdAt: Date = new Date()): Promise<Buffer> {
  const tf = loadTf();
  let captured: TF.io.ModelArtifacts | null = null;
  await model.network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: createdAt, modelTopologyType: 'JSON' } };
    }),
  );
  const a = captured as TF.io.ModelArtifacts | null;
  if (a === null || a.weightData === undefined) throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'The model produced no weights to save.');
  const parts = Array.isArray(a.weightData) ? a.weightData : [a.weightData];
  const weights = Buffer.concat(parts.map((p) => Buffer.from(p)));
  const topology = JSON.stringify(a.modelTopology);
  const weightSpecs = JSON.stringify(a.weightSpecs ?? []);
  const wire: WireArtifact = {
    format: FORMAT,
    formatVersion: RNN_ARTIFACT_FORMAT_VERSION,
    modelVersion: model.version,
    createdAt: createdAt.toISOString(),
    config: model.config,
    vocabulary: model.vocabulary,
    topology,
    weightSpecs,
    weights,
    checksum: checksum(topology, weightSpecs, weights),
  };
  return Buffer.concat([MAGIC, Buffer.from(packr.pack(wire))]);
}

/**
 * Rebuilds a model from {@link saveRnnArtifact} output. Throws `PREDICTION.ARTIFACT_CORRUPT`
 * for damaged bytes and `PREDICTION.ARTIFACT_INCOMPATIBLE` for another format version or a
 * topology that does not match its config (or `expectVocabularySize` when given).
 */
export async function loadRnnArtifact(bytes: Uint8Array, options: { expectVocabularySize?: number } = {}): Promise<RnnModel> {
  const wire = decode(bytes);
  if (options.expectVocabularySize !== undefined && wire.config.vocabularySize !== options.expectVocabularySize) {
    throw incompatible(`Model has ${wire.config.vocabularySize} actions, expected ${options.expectVocabularySize}.`);
  }
  await initBackend();
  const tf = loadTf();
  oneHotRecurrentLayer(tf);
  logitsLayer(tf);
  let network: TF.LayersModel;
  try {
    const weights = new Uint8Array(wire.weights.byteLength);
    weights.set(wire.weights);
    network = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: JSON.parse(wire.topology), weightSpecs: JSON.parse(wire.weightSpecs), weightData: weights.buffer }),
    );
  } catch (cause) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'The stored network could not be rebuilt.', { cause });
  }
  const inShape = network.inputs[0]?.shape;
  const outShape = network.outputs[0]?.shape;
  if (inShape?.length !== 2 || outShape?.[1] !== wire.config.vocabularySize) {
    network.dispose();
    throw incompatible(`Network shape ${JSON.stringify(inShape)} → ${JSON.stringify(outShape)} does not match its config.`);
  }
  return new RnnModel(network, wire.config, wire.modelVersion, wire.vocabulary);
}

function decode(bytes: Uint8Array): WireArtifact {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'Bytes are not a Foresight RNN artifact (bad magic).');
  }
  let wire: WireArtifact;
  try {
    wire = packr.unpack(buf.subarray(MAGIC.length)) as WireArtifact;
  } catch (cause) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'RNN artifact body is not valid MessagePack.', { cause });
  }
  if (wire === null || typeof wire !== 'object' || wire.format !== FORMAT) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'RNN artifact header is malformed.');
  }
  if (wire.formatVersion !== RNN_ARTIFACT_FORMAT_VERSION) {
    throw incompatible(`RNN artifact format ${wire.formatVersion} is not supported (expected ${RNN_ARTIFACT_FORMAT_VERSION}).`);
  }
  if (
    typeof wire.topology !== 'string' ||
    typeof wire.weightSpecs !== 'string' ||
    !(wire.weights instanceof Uint8Array) ||
    checksum(wire.topology, wire.weightSpecs, wire.weights) !== wire.checksum
  ) {
    throw new PredictionError('PREDICTION.ARTIFACT_CORRUPT', 'RNN artifact checksum does not match its contents.');
  }
  try {
    resolveRnnConfig(wire.config);
  } catch (cause) {
    throw incompatible(`RNN artifact config is not usable: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  return wire;
}

function checksum(topology: string, specs: string, weights: Uint8Array): string {
  return createHash('sha256').update(topology).update(specs).update(weights).digest('hex');
}

function incompatible(message: string): PredictionError {
  return new PredictionError('PREDICTION.ARTIFACT_INCOMPATIBLE', message);
}
