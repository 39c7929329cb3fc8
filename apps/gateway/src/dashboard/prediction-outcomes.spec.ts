import type { Logger } from '@foresight/observability';
import type { NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { PredictionOutcomes } from './prediction-outcomes';

function outcomes(maxSessions?: number) {
  const metrics = new Registry();
  const o = new PredictionOutcomes({ nc: {} as NatsConnection, namespace: 'fs', metrics, logger: {} as Logger, maxSessions });
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
    expect(o.recorded('s1', 'cart')).toBe('top1');
    expect(o.recorded('s1', 'cart')).toBeUndefined();
    expect(o.recorded('s2', 'pay')).toBe('listed');
    expect(o.recorded('s3', 'home')).toBe('missed');
    expect(o.recorded('unknown', 'home')).toBeUndefined();
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
    expect(o.recorded('s1', 'pay')).toBe('top1');
  });

  it('forgets the oldest session beyond its bound', () => {
    const { o } = outcomes(2);
    o.served(served('s1', 'a'));
    o.served(served('s2', 'a'));
    o.served(served('s3', 'a'));
    expect(o.recorded('s1', 'a')).toBeUndefined();
    expect(o.recorded('s3', 'a')).toBe('top1');
  });
});
