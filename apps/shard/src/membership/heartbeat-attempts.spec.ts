import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { heartbeatWithRetries } from './heartbeat-attempts';

const timeout = () => new ForesightError(ErrorCodes.TIMEOUT, 'fs.rpc.metadata.node.n1.heartbeat did not answer within 250 ms.');

/** A clock that the fake `send` advances by the time each attempt takes. */
function fake(outcomes: ('timeout' | 'refused' | 'ok')[], takesMs = 250) {
  let clock = 0;
  const timeouts: number[] = [];
  const send = (timeoutMs: number) => {
    timeouts.push(timeoutMs);
    const outcome = outcomes.shift();
    clock += outcome === 'ok' ? 5 : takesMs;
    if (outcome === 'ok') return Promise.resolve('renewed');
    if (outcome === 'refused') return Promise.reject(new ForesightError(ErrorCodes.VALIDATION, 'bad heartbeat'));
    return Promise.reject(timeout());
  };
  return { send, timeouts, now: () => clock };
}

describe('heartbeatWithRetries', () => {
  it('sends a timed-out heartbeat again at once, with the short timeout each time, and reports how many it took', async () => {
    const f = fake(['timeout', 'ok']);
    await expect(heartbeatWithRetries(f.send, { perAttemptMs: 250, attempts: 3, deadline: 2750, now: f.now })).resolves.toEqual({
      reply: 'renewed',
      attempts: 2,
    });
    expect(f.timeouts).toEqual([250, 250]);
  });

  it('retries a missing responder too', async () => {
    let calls = 0;
    const send = () => (++calls === 1 ? Promise.reject(new ForesightError(ErrorCodes.UNAVAILABLE, 'No service is listening.')) : Promise.resolve('ok'));
    await expect(heartbeatWithRetries(send, { perAttemptMs: 250, attempts: 3, deadline: 2750, now: () => 0 })).resolves.toEqual({ reply: 'ok', attempts: 2 });
  });

  it('gives up after the attempts allowed, with the last error', async () => {
    const f = fake(['timeout', 'timeout', 'timeout', 'ok']);
    await expect(heartbeatWithRetries(f.send, { perAttemptMs: 250, attempts: 3, deadline: 10_000, now: f.now })).rejects.toMatchObject({
      code: ErrorCodes.TIMEOUT,
    });
    expect(f.timeouts).toHaveLength(3);
  });

  it('starts no attempt that could end after the deadline (the lease less a heartbeat)', async () => {
    const f = fake(['timeout', 'timeout', 'ok']);
    // After one attempt the clock is at 250: a second would end at 500, past 400.
    await expect(heartbeatWithRetries(f.send, { perAttemptMs: 250, attempts: 3, deadline: 400, now: f.now })).rejects.toMatchObject({
      code: ErrorCodes.TIMEOUT,
    });
    expect(f.timeouts).toHaveLength(1);
  });

  it('always makes one attempt, even past the deadline (a lapsed lease is renewed by the next answer)', async () => {
    const f = fake(['ok']);
    await expect(heartbeatWithRetries(f.send, { perAttemptMs: 250, attempts: 3, deadline: -1000, now: f.now })).resolves.toEqual({
      reply: 'renewed',
      attempts: 1,
    });
  });

  it('does not retry an answer that refuses the heartbeat, nor once the node is stopping', async () => {
    const refused = fake(['refused', 'ok']);
    await expect(heartbeatWithRetries(refused.send, { perAttemptMs: 250, attempts: 3, deadline: 10_000, now: refused.now })).rejects.toMatchObject({
      code: ErrorCodes.VALIDATION,
    });
    expect(refused.timeouts).toHaveLength(1);
    const stopping = fake(['timeout', 'ok']);
    await expect(
      heartbeatWithRetries(stopping.send, { perAttemptMs: 250, attempts: 3, deadline: 10_000, now: stopping.now, stopped: () => true }),
    ).rejects.toMatchObject({ code: ErrorCodes.TIMEOUT });
    expect(stopping.timeouts).toHaveLength(1);
  });
});
