import { loadConfig } from '@foresight/config';
import { systemClock } from '@foresight/time';
import { OnlineModel } from '../learning/online-model';
import type { ModelRegistry } from '../models/model-registry';
import type { ModelsRepository } from '../models/models.repository';
import type { ActionsRepository } from '../learning/actions.repository';
import { Trainer } from './trainer';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function setup() {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let locks = 0;
  const models = { newestCreatedAt: async () => Date.now() } as unknown as ModelsRepository;
  const exclusive = {
    runExclusive: async <T>(work: () => Promise<T>) => {
      if (locks++ === 0) await gate;
      return work();
    },
  };
  const actions = { trainingSessions: async () => [{ userId: null, actions: ['a', 'b'] }] } as unknown as ActionsRepository;
  const settings = loadConfig('prediction', { PREDICTION_RETRAIN_INTERVAL_MS: '60000' }).prediction;
  const model = new OnlineModel({ markovOrder: 2, maxContexts: 100, maxUsers: 1, maxSessions: 10, windowLength: 2 });
  const trainer = new Trainer({ settings, model, actions, models, exclusive, registry: {} as ModelRegistry, logger: quiet, clock: systemClock });
  return { trainer, release };
}

describe('Trainer.runRound', () => {
  it('joins a running round, but a forced round runs after it with its own outcome', async () => {
    const { trainer, release } = setup();
    const scheduled = trainer.runRound();
    const joined = trainer.runRound();
    const forced = trainer.runRound({ force: true });
    expect(joined).toBe(scheduled);
    release();
    expect(await scheduled).toEqual({ status: 'skipped', reason: 'a recent model exists' });
    // Forced: the interval is ignored, and one session is below the minimum.
    expect(await forced).toEqual({ status: 'skipped', reason: 'not enough sessions' });
    await trainer.idle();
  });
});
