export * from './errors';
export * from './vocabulary';
export * from './predictor';
export * from './popularity';
export { TopNBuffer, topNOfDistribution, rankOf } from './util/top-n';
export { VariableOrderMarkov, resolveMarkovOptions } from './markov/variable-order-markov';
export type { MarkovOptions, ResolvedMarkovOptions, Smoothing } from './markov/variable-order-markov';
export { createFirstOrderMarkov } from './markov/first-order';
export { UserBlendedMarkov } from './markov/user-blend';
export type { UserBlendOptions } from './markov/user-blend';
export { encodeMarkov, decodeMarkov } from './markov/snapshot';
export { initBackend, loadTf } from './rnn/tf';
export type { BackendName, BackendOptions, Tf } from './rnn/tf';
export { DEFAULT_RNN_CONFIG, resolveRnnConfig } from './rnn/config';
export type { RnnConfig } from './rnn/config';
export { packSessions } from './rnn/sessions';
export type { PackedSessions } from './rnn/sessions';
export { RnnModel } from './rnn/rnn-model';
export type { HistoryRef } from './rnn/rnn-model';
export { trainRnn } from './rnn/train';
export type { TrainOptions, TrainProgress, TrainStats } from './rnn/train';
export { saveRnnArtifact, loadRnnArtifact } from './rnn/artifact';
export { trainInWorker } from './rnn/train-in-worker';
export type { TrainInWorkerOptions, WorkerTrainResult } from './rnn/train-in-worker';
export { runTrainRequest } from './rnn/worker-protocol';
export type { TrainReply, TrainRequest } from './rnn/worker-protocol';
export { MixturePredictor } from './ensemble/ensemble';
export { fitMixingWeights, markovOnly, bucketOf } from './ensemble/mixing';
export type { MixingWeights, MixingSample } from './ensemble/mixing';
export { encodeBundle, decodeBundle, checkVocabularyPrefix } from './bundle';
export type { ModelBundle, ModelBundleKind } from './bundle';
export { SessionKnn, resolveKnnOptions } from './knn/session-knn';
export type { SessionKnnOptions, ResolvedKnnOptions, KnnScores } from './knn/session-knn';
export { SessionKnnPredictor, DEFAULT_KNN_CALIBRATION, checkCalibration } from './knn/knn-predictor';
export type { KnnCalibration, DistributionSource } from './knn/knn-predictor';
export { encodeKnn, decodeKnn } from './knn/knn-snapshot';
export {
  markovMixture,
  fromMixingWeights,
  mixtureName,
  checkMixtureWeights,
  componentIndex,
  applyRepeatFactor,
  mixRows,
  bucketWeights,
} from './ensemble/mixture';
export type { ComponentName, MixtureWeights } from './ensemble/mixture';
export { fitMixture, fitRepeatFactor } from './ensemble/fit-mixture';
export type { MixtureSample, FitMixtureOptions } from './ensemble/fit-mixture';
export { ComponentRows, MIXTURE_SHAPE } from './ensemble/component-rows';
export type { BatchScorer, MixtureParts } from './ensemble/component-rows';
export { selectMixture, RankStats, rankWithin } from './ensemble/select';
export type { TargetPosition, HeldOutScores, CandidateResult, MixtureSelection, SelectOptions } from './ensemble/select';
export { chooseKnnVoting, AFTER_DECAY_CANDIDATES } from './knn/choose-voting';
export type { KnnVotingChoice } from './knn/choose-voting';
export { HotPathPredictor, dropComponent } from './hot-path/hot-path-predictor';
export type { HotPathParts, RnnUse } from './hot-path/hot-path-predictor';
export { RnnRowCache } from './hot-path/rnn-rows';
export type { RnnRowCacheOptions, SparseRow } from './hot-path/rnn-rows';
export { loadHotPathModel } from './hot-path/load';
export type { HotPathModel, LoadHotPathOptions, LoadedRnn, PartFallback } from './hot-path/load';
