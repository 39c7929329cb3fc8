import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { PredictionOutcomes } from './prediction-outcomes';

const SERVED_AT = 1_000_000;
const LATER = SERVED_AT + 5;

function outcomes(maxSessions?: number) {
  const metrics = new Registry();
  const clock = { now: () => SERVED_AT } as Clock;
  const o = new PredictionOutcomes({ nc: {} as NatsConnection, namespace: 'fs', metrics, logger: {} as Logger, clock, maxSessions });
  return { o, metrics };
}

const served = (sessionId: string, ...actions: string[]) => ({
  sessionId,
  modelVersion: 'v1',
  model: 'markov' as const,
  predictions: actions.map((action, i) => ({ action, p: 1 / (i + 2) })),
});

describe('scoring the predictions a gateway served', () => {
  it('scores each served prediction once, against the next recorded action of its session', async () => {
    const { o, metrics } = outcomes();
    expect(o.view()).toMatchObject({ served: 0, scored: 0, top1Accuracy: null, model: null });
    o.served(served('s1', 'cart', 'pay'));
    o.served(served('s2', 'cart', 'pay'));
    o.served(served('s3', 'cart', 'pay'));
    expect(o.recorded('s1', 'cart', LATER)).toBe('top1');
    expect(o.recorded('s1', 'cart', LATER)).toBeUndefined();
    expect(o.recorded('s2', 'pay', LATER)).toBe('listed');
    expect(o.recorded('s3', 'home', LATER)).toBe('missed');
    expect(o.recorded('unknown', 'home', LATER)).toBeUndefined();
    const v = o.view();
    expect(v).toMatchObject({ served: 3, scored: 3, top1: 1, listed: 2, model: { version: 'v1', kind: 'markov' } });
    expect(v.top1Accuracy).toBeCloseTo(1 / 3);
    expect(v.listedAccuracy).toBeCloseTo(2 / 3);
    const text = await metrics.metrics();
    expect(text).toContain('foresight_gateway_prediction_outcomes_total{outcome="top1"} 1');
    expect(text).toContain('foresight_gateway_prediction_outcomes_total{outcome="missed"} 1');
  });

  it('judges a session by the last answer it was given', () => {
    const { o } = outcomes();
    o.served(served('s1', 'cart'));
    o.served(served('s1', 'pay'));
    expect(o.recorded('s1', 'pay', LATER)).toBe('top1');
  });

  it('forgets the oldest session beyond its bound', () => {
    const { o } = outcomes(2);
    o.served(served('s1', 'a'));
    o.served(served('s2', 'a'));
    o.served(served('s3', 'a'));
    expect(o.recorded('s1', 'a', LATER)).toBeUndefined();
    expect(o.recorded('s3', 'a', LATER)).toBe('top1');
  });

  it('does not score an action that happened before the answer was served (its event arrived late)', () => {
    const { o } = outcomes();
    o.served(served('s1', 'cart'));
    expect(o.recorded('s1', 'home', SERVED_AT - 1)).toBeUndefined();
    expect(o.view().scored).toBe(0);
    expect(o.recorded('s1', 'cart', SERVED_AT)).toBe('top1');
  });
});
