import type { EnvReader } from './env-reader';

/** Prediction service: online Markov model, bounded memory, periodic RNN retraining. */
export interface PredictionConfig {
  readonly markovOrder: number;
  /** Memory bound of the global model (contexts of order ≥ 1; rare ones are pruned). */
  readonly maxContexts: number;
  /** Per-user models kept (least recently used evicted). */
  readonly maxUsers: number;
  /** Per-session recent-history windows kept in memory (least recently used evicted). */
  readonly maxSessions: number;
  /** Actions the RNN sees (T); the session window keeps max(T, markovOrder). */
  readonly historyLength: number;
  /** Retraining period; 0 disables retraining. */
  readonly retrainIntervalMs: number;
  /** How often the service checks whether a round is due (no model yet, or the newest is older than the interval). */
  readonly retrainCheckMs: number;
  /** A round trains only with at least this many sessions of two or more actions. */
  readonly retrainMinSessions: number;
  /** At most this many most recent sessions are read for a round. */
  readonly trainMaxSessions: number;
  /** At most this many held-out positions fit the mixtures, and as many compare the candidate models. */
  readonly evalMaxPositions: number;
  readonly rnn: {
    /** Most epochs; training stops earlier when the held-out loss stops improving. */
    readonly epochs: number;
    /** Epochs without held-out improvement that end training. */
    readonly patience: number;
    readonly hiddenUnits: number;
    /** Windows per batch (0 = sized to the data). */
    readonly batchSize: number;
    readonly learningRate: number;
    /** Training windows sampled per epoch (0 = all). */
    readonly maxWindows: number;
    /** Wall-clock budget of the RNN's training in seconds (0 = none). */
    readonly maxSeconds: number;
    readonly seed: number;
  };
  /** The session-kNN index learning online. */
  readonly knn: {
    /** Sessions held (the oldest is evicted). */
    readonly maxSessions: number;
    /** Neighbours that vote. */
    readonly neighbours: number;
    /** Most recent sessions per action that are candidate neighbours. */
    readonly postings: number;
  };
  /** Stored model rows kept (the active one always is). */
  readonly modelRetention: number;
}

/** Reads the prediction service's `PREDICTION_*` settings. */
export function readPredictionConfig(r: EnvReader, production: boolean): PredictionConfig {
  return {
    markovOrder: r.int('PREDICTION_MARKOV_ORDER', 3, 1, 8),
    maxContexts: r.int('PREDICTION_MAX_CONTEXTS', 1_000_000, 16, 100_000_000),
    maxUsers: r.int('PREDICTION_MAX_USERS', 10_000, 1, 10_000_000),
    maxSessions: r.int('PREDICTION_MAX_SESSIONS', 100_000, 1, 100_000_000),
    historyLength: r.int('PREDICTION_HISTORY_LENGTH', 10, 1, 512),
    // Off by default outside production: training takes minutes of CPU on real data.
    retrainIntervalMs: r.int('PREDICTION_RETRAIN_INTERVAL_MS', production ? 6 * 3_600_000 : 0, 0, 30 * 86_400_000),
    retrainCheckMs: r.int('PREDICTION_RETRAIN_CHECK_MS', 60_000, 100, 3_600_000),
    retrainMinSessions: r.int('PREDICTION_RETRAIN_MIN_SESSIONS', 200, 2, 100_000_000),
    trainMaxSessions: r.int('PREDICTION_TRAIN_MAX_SESSIONS', 200_000, 10, 100_000_000),
    evalMaxPositions: r.int('PREDICTION_EVAL_MAX_POSITIONS', 20_000, 10, 10_000_000),
    rnn: {
      epochs: r.int('PREDICTION_RNN_EPOCHS', 20, 1, 1000),
      patience: r.int('PREDICTION_RNN_PATIENCE', 2, 1, 1000),
      hiddenUnits: r.int('PREDICTION_RNN_HIDDEN_UNITS', 128, 1, 4096),
      batchSize: r.int('PREDICTION_RNN_BATCH_SIZE', 0, 0, 65_536),
      learningRate: r.number('PREDICTION_RNN_LEARNING_RATE', 0.01, 1e-6, 1),
      maxWindows: r.int('PREDICTION_RNN_MAX_WINDOWS', 700_000, 0, 1_000_000_000),
      maxSeconds: r.int('PREDICTION_RNN_MAX_SECONDS', 1200, 0, 7 * 86_400),
      seed: r.int('PREDICTION_SEED', 42, 0, 0xffff_ffff),
    },
    knn: {
      maxSessions: r.int('PREDICTION_KNN_MAX_SESSIONS', 100_000, 1, 10_000_000),
      neighbours: r.int('PREDICTION_KNN_NEIGHBOURS', 100, 1, 10_000),
      postings: r.int('PREDICTION_KNN_POSTINGS', 500, 1, 100_000),
    },
    modelRetention: r.int('PREDICTION_MODEL_RETENTION', 5, 1, 1000),
  };
}
