import { consumerHealthProbe, describeError, supervise, type AttemptContext, type ConsumerState } from './consumer-supervisor';
import { headerSafe } from './dead-letter';

const quiet = { warn: () => undefined, error: () => undefined };

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('supervise restart delay', () => {
  it('doubles per failure from the first delay, never above the cap, jitter included', async () => {
    const delays: number[] = [];
    const logger = { warn: (obj: object) => delays.push((obj as { delayMs: number }).delayMs), error: () => undefined };
    let attempts = 0;
    const loop = supervise(
      async () => {
        attempts++;
        throw new Error('down');
      },
      { name: 't', logger, initialDelayMs: 20, maxDelayMs: 50, rng: () => 0.999_999 },
    );
    // Logged at failures 1, 2 and 4 (powers of two).
    await until(() => attempts >= 5, 'five attempts');
    await loop.stop();
    expect(delays.slice(0, 3)).toEqual([20, 40, 50]);
  });

  it('stamps its state with the injected clock', async () => {
    const loop = supervise(
      async (ctx) => {
        ctx.running();
        await new Promise<void>((resolve) => ctx.onStop(resolve));
      },
      { name: 't', logger: quiet, clock: { now: () => 42 } },
    );
    await loop.started;
    expect(loop.state()).toMatchObject({ status: 'running', since: 42 });
    await loop.stop();
  });
});

describe('describeError', () => {
  it('never throws, whatever was thrown', () => {
    const hostile = {
      toString: () => {
        throw new Error('no');
      },
    };
    expect(describeError(hostile)).toBe('an error that cannot be printed');
    expect(describeError(null)).toBe('null');
    expect(describeError(new TypeError('x'))).toBe('TypeError: x');
    expect(describeError('y'.repeat(1000)).length).toBeLessThan(310);
  });
});

describe('headerSafe', () => {
  it('keeps printable ASCII only, cut short', () => {
    expect(headerSafe('a\r\nb\u0000é')).toBe('a??b??');
    expect(headerSafe('x'.repeat(500))).toHaveLength(200);
  });
});

describe('supervise', () => {
  it('restarts a loop that throws, returns or rejects with anything, counting each restart; health follows', async () => {
    const endings: (() => Promise<void>)[] = [
      async () => {
        throw new Error('iterator failed');
      },
      async () => undefined,
      () => Promise.reject(null),
    ];
    let attempts = 0;
    let restarts = 0;
    const statuses: ConsumerState['status'][] = [];
    let release: () => void = () => undefined;
    const loop = supervise(
      async (ctx: AttemptContext) => {
        const ending = endings[attempts++];
        ctx.running();
        if (ending) return ending();
        await new Promise<void>((resolve) => {
          release = resolve;
          ctx.onStop(resolve);
        });
      },
      { name: 't', logger: quiet, initialDelayMs: 1, maxDelayMs: 5, onRestart: () => restarts++, onStatus: (s) => statuses.push(s.status) },
    );
    await loop.started;
    await until(() => attempts === 4, 'the fourth attempt');
    expect(restarts).toBe(3);
    expect(loop.state()).toMatchObject({ status: 'running', restarts: 3, failures: 0, lastError: 'null' });
    expect(statuses).toEqual(['running', 'restarting', 'running', 'restarting', 'running', 'restarting', 'running']);
    await expect(consumerHealthProbe(loop)()).resolves.toBeUndefined();

    release();
    await until(() => attempts === 5 && loop.state().status === 'running', 'a restart after the loop ended on its own');
    expect(loop.state()).toMatchObject({ restarts: 4, lastError: 'the message iterator ended' });
    await loop.stop();
    expect(loop.state().status).toBe('stopped');
    await expect(consumerHealthProbe(loop)()).rejects.toThrow(/^consumer stopped since/);
  });

  it('keeps trying a loop that cannot start, reporting starting with the last error, until it can', async () => {
    let attempts = 0;
    const loop = supervise(
      async (ctx) => {
        if (++attempts < 4) throw new Error('stream not found');
        ctx.running();
        await new Promise<void>((resolve) => ctx.onStop(resolve));
      },
      { name: 't', logger: quiet, initialDelayMs: 1, maxDelayMs: 5 },
    );
    await loop.started;
    expect(loop.state().status).toBe('starting');
    await expect(consumerHealthProbe(loop)()).rejects.toThrow(/starting since .* \(1 failed attempts\); last error: Error: stream not found/);
    await until(() => loop.state().status === 'running', 'running');
    expect(loop.state()).toMatchObject({ restarts: 3, failures: 0 });
    await loop.stop();
  });

  it('stops for good when the connection is closed, and stop() ends a pending backoff at once', async () => {
    const closed = supervise(
      async () => {
        throw new Error('closed');
      },
      { name: 't', logger: quiet, connectionClosed: () => true },
    );
    await closed.started;
    await until(() => closed.state().status === 'stopped', 'stopped');
    expect(closed.state().lastError).toMatch(/NATS connection closed/);

    const waiting = supervise(
      async () => {
        throw new Error('down');
      },
      { name: 't', logger: quiet, initialDelayMs: 60_000, maxDelayMs: 60_000 },
    );
    await waiting.started;
    const started = Date.now();
    await waiting.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(waiting.state().status).toBe('stopped');
  });
});
