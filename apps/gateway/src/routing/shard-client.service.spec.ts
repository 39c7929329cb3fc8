import { loadConfig } from '@foresight/config';
import { backoffDelay } from '@foresight/time';
import { RETRY_BACKOFF } from './shard-client.service';

/** Total pause of a call that is retried on every attempt, with every jitter draw equal to `u`. */
function totalPause(attempts: number, u: number): number {
  let total = 0;
  for (let retry = 0; retry < attempts - 1; retry++) total += backoffDelay(retry, RETRY_BACKOFF, () => u);
  return total;
}

describe('ShardClient retry backoff', () => {
  const attempts = loadConfig('gateway', {}).gateway.maxAttempts;

  it('waits for a new owner as long on average as the former fixed schedule, and never much less', () => {
    let former = 0;
    for (let attempt = 1; attempt < attempts; attempt++) former += Math.min(1000, 50 * 2 ** (attempt - 1));
    expect(former).toBe(7550);
    expect(totalPause(attempts, 0.5)).toBeCloseTo(former, 6);
    expect(totalPause(attempts, 0)).toBeGreaterThanOrEqual(5000);
    expect(totalPause(attempts, 0.999_999)).toBeLessThan(10_100);
  });

  it('spreads retries: two gateways drawing different jitter do not retry in lockstep', () => {
    expect(backoffDelay(4, RETRY_BACKOFF, () => 0.1)).not.toBe(backoffDelay(4, RETRY_BACKOFF, () => 0.9));
  });
});
