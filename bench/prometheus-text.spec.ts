import { metricSamples, metricSum } from './prometheus-text';

const page = [
  '# HELP foresight_replica_promotions_total Sessions promoted',
  'foresight_replica_promotions_total{service="shard",outcome="warm"} 5',
  'foresight_replica_promotions_total{service="shard",outcome="cold"} 1',
  'foresight_replica_promotions_total_extra 100',
  'nodejs_eventloop_lag_max_seconds 0.12',
].join('\n');

describe('Prometheus text', () => {
  it('reads the samples of one metric, optionally of the label sets holding a label', () => {
    expect(metricSamples(page, 'foresight_replica_promotions_total')).toEqual([5, 1]);
    expect(metricSum(page, 'foresight_replica_promotions_total', 'outcome="warm"')).toBe(5);
    expect(metricSamples(page, 'nodejs_eventloop_lag_max_seconds')).toEqual([0.12]);
    expect(metricSum(page, 'absent_metric')).toBe(0);
  });
});
