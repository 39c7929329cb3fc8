import {
  ForesightPolicy,
  indexedPredictor,
  LfuPolicy,
  LruPolicy,
  ProtectionTable,
  type ActionPredictor,
  type EvictionPolicy,
  type PlannerOptions,
  type VictimMeasure,
} from '@foresight/cache-core';
import { createFirstOrderMarkov, VariableOrderMarkov, Vocabulary } from '@foresight/prediction-core';
import { BeladyPolicy } from './belady';
import type { BenchArgs, PolicyName } from './cli';

/** Oracle predictor: the driver tells it the session's real next action before each step. */
class NextRequestOracle implements ActionPredictor {
  next: string | undefined;

  predict(): { action: string; p: number }[] {
    return this.next === undefined ? [] : [{ action: this.next, p: 1 }];
  }
}

/** Everything one replayed system needs, built fresh per run. */
export interface System {
  readonly name: PolicyName;
  readonly policy: EvictionPolicy;
  readonly protection?: ProtectionTable;
  readonly predictor?: ActionPredictor;
  readonly planner?: PlannerOptions;
  readonly protectSteps?: number;
  /** Share of the cache the predicted keys of live sessions may take (Infinity for the textbook baselines). */
  readonly prefetchBudgetShare: number;
  readonly protectionAgeDecay?: number;
  /** Origin fetches allowed relative to a demand-only cache (Foresight only). */
  readonly fetchBudget?: number;
  readonly victimMeasure?: VictimMeasure;
  readonly budgetJudge?: 'all' | 'marginal';
  readonly learnOnline: boolean;
  readonly oracle?: NextRequestOracle;
  readonly belady?: BeladyPolicy;
}

function markovFromName(name: string): VariableOrderMarkov {
  const m = /^markov-(\d)(-interpolated)?$/.exec(name)!;
  return new VariableOrderMarkov({ maxOrder: Number(m[1]), smoothing: m[2] ? 'interpolated' : 'ppm-c', anchorSessionStart: Number(m[1]) > 1 });
}

/** Builds a fresh system (cache policy, model, planner settings) for one replay. */
export function buildSystem(name: PolicyName, a: BenchArgs): System {
  switch (name) {
    case 'lru':
      return { name, policy: new LruPolicy(), learnOnline: false, prefetchBudgetShare: Infinity };
    case 'lfu':
      return { name, policy: new LfuPolicy(), learnOnline: false, prefetchBudgetShare: Infinity };
    case 'lfu-perfect':
      return { name, policy: new LfuPolicy({ retainHistory: true }), learnOnline: false, prefetchBudgetShare: Infinity };
    case 'belady': {
      const belady = new BeladyPolicy();
      return { name, policy: belady, belady, learnOnline: false, prefetchBudgetShare: Infinity };
    }
    case 'perfect-prefetch': {
      const oracle = new NextRequestOracle();
      return {
        name,
        policy: new LruPolicy(),
        predictor: oracle,
        oracle,
        planner: { topN: 1, minProbability: 0, secondHopWidth: 0 },
        learnOnline: false,
        prefetchBudgetShare: Infinity,
      };
    }
    case 'lru+markov-top3':
      return {
        name,
        policy: new LruPolicy(),
        predictor: indexedPredictor(new Vocabulary(), createFirstOrderMarkov(), 1),
        planner: { topN: 3, minProbability: 0, secondHopWidth: 0 },
        learnOnline: true,
        prefetchBudgetShare: Infinity,
      };
    case 'foresight': {
      const protection = new ProtectionTable();
      return {
        name,
        // The scorer keeps protected entries up to the share the planner may fill with predictions.
        policy: new ForesightPolicy({ protection, maxProtectedShare: Math.min(1, a.prefetchShare) }),
        protection,
        predictor: indexedPredictor(new Vocabulary(), markovFromName(a.model), 8),
        planner: { topN: 10, minProbability: a.minProbability, secondHopWidth: a.hopWidth, secondHopMinProbability: 0.1 },
        protectSteps: a.protectSteps,
        learnOnline: true,
        prefetchBudgetShare: a.prefetchShare,
        protectionAgeDecay: a.ageDecay,
        fetchBudget: a.fetchBudget,
        victimMeasure: a.victimMeasure,
        budgetJudge: a.judge,
      };
    }
  }
}
