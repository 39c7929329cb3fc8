import { VariableOrderMarkov, type MarkovOptions } from './variable-order-markov';

/**
 * First-order Markov baseline: p(next | previous action), backing off to popularity (PPM-C)
 * for unseen previous actions. No session-start anchoring, as in the textbook baseline.
 */
export function createFirstOrderMarkov(options: Omit<MarkovOptions, 'maxOrder'> = {}): VariableOrderMarkov {
  return new VariableOrderMarkov({ anchorSessionStart: false, smoothing: 'ppm-c', name: 'markov-1', ...options, maxOrder: 1 });
}
