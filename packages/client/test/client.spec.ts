import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACT_VERSION as SERVER_CONTRACT } from '@foresight/contracts';
import { AgentMeter } from '../src/agent';
import { backoffDelay } from '../src/backoff';
import { ForesightClient } from '../src/client';
import { ConfigurationError, IncompatibleServerError, TooLargeError, errorFromEnvelope, SessionNotFoundError, UnavailableError } from '../src/errors';
import { CONTRACT_VERSION } from '../src/generated/contract';
import { compatibleContracts } from '../src/limits';
import type { FetchLike } from '../src/transport';

const ROOT = join(__dirname, '..', '..', '..');
const version = (dir: string) => (JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { version: string }).version;

const contract = (over: Record<string, unknown> = {}) => ({
  contractVersion: CONTRACT_VERSION,
  api: 'v1',
  limits: { maxVariableBytes: 64, maxSessionBytes: 100, maxBodyBytes: 1000, variableNameLength: 128, dataKeyLength: 512 },
  groups: ['cart'],
  agentReportIntervalMs: 0,
  ...over,
});

function gateway(contractBody: unknown = contract()) {
  const sent: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    sent.push(`${init.method} ${url}`);
    if (url.endsWith('/v1/contract'))
      return { status: contractBody === 404 ? 404 : 200, text: async () => (contractBody === 404 ? '<html>' : JSON.stringify(contractBody)) };
    return { status: 200, text: async () => '{"version":2}' };
  };
  return { fetch, sent };
}

describe('versions', () => {
  it('the packages, the root and the wire contracts share one version', () => {
    expect(CONTRACT_VERSION).toBe(SERVER_CONTRACT);
    for (const dir of ['.', 'packages/client', 'packages/express-session', 'packages/nestjs']) expect([dir, version(dir)]).toEqual([dir, SERVER_CONTRACT]);
  });

  it('is compatible within a major (within a minor below 1.0)', () => {
    expect(compatibleContracts('0.1.0', '0.1.9')).toBe(true);
    expect(compatibleContracts('0.1.0', '0.2.0')).toBe(false);
    expect(compatibleContracts('1.2.0', '1.9.1')).toBe(true);
    expect(compatibleContracts('1.2.0', '2.0.0')).toBe(false);
    expect(compatibleContracts('1.2.0', 'garbage')).toBe(false);
  });
});

describe('ForesightClient', () => {
  it('refuses a bad URL, key or timeout at construction, naming the problem', () => {
    expect(() => new ForesightClient({ baseUrl: 'localhost:3000' })).toThrow(/is not a URL|must be http/);
    expect(() => new ForesightClient({ baseUrl: 'ftp://h' })).toThrow(ConfigurationError);
    expect(() => new ForesightClient({ baseUrl: 'http://h?x=1' })).toThrow(/no query/);
    expect(() => new ForesightClient({ baseUrl: [] })).toThrow(/names no gateway/);
    expect(() => new ForesightClient({ baseUrl: 'http://h', apiKey: 'bad key' })).toThrow(/apiKey/);
    expect(() => new ForesightClient({ baseUrl: 'http://h', timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it('checks the contract once before the first call; an incompatible gateway is one typed error naming both versions', async () => {
    const ok = gateway();
    const client = new ForesightClient({ baseUrl: 'http://g', apiKey: 'k', fetch: ok.fetch, agent: false });
    await Promise.all([client.getSession('a'), client.getSession('b')]);
    expect(ok.sent.filter((s) => s.endsWith('/v1/contract'))).toHaveLength(1);

    const old = gateway(contract({ contractVersion: '9.0.0' }));
    const error = await new ForesightClient({ baseUrl: 'http://g', apiKey: 'k', fetch: old.fetch, agent: false }).getSession('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompatibleServerError);
    expect((error as Error).message).toMatch(/speaks contract 9\.0\.0.*needs 0\.1\.x/);
    expect(old.sent).toHaveLength(1);

    const notForesight = await new ForesightClient({ baseUrl: 'http://g', apiKey: 'k', fetch: gateway(404).fetch, agent: false })
      .getSession('a')
      .catch((e: unknown) => e);
    expect(notForesight).toBeInstanceOf(IncompatibleServerError);
  });

  it("calls the platform's fetch as a plain function, as a browser's fetch demands", async () => {
    const original = globalThis.fetch;
    const { fetch: fake } = gateway();
    // Like window.fetch: "Illegal invocation" when called with any other `this`.
    globalThis.fetch = function (this: unknown, url: string, init: Parameters<FetchLike>[1]) {
      if (this !== undefined && this !== globalThis) throw new TypeError("Failed to execute 'fetch' on 'Window': Illegal invocation");
      return fake(url, init);
    } as unknown as typeof fetch;
    try {
      const client = new ForesightClient({ baseUrl: 'http://g', apiKey: 'k', agent: false, retry: { maxAttempts: 1 } });
      await expect(client.getSession('a')).resolves.toEqual({ version: 2 });
    } finally {
      globalThis.fetch = original;
    }
  });

  it('reports on the schedule the gateway asks for, and stops when closed', async () => {
    const g = gateway(contract({ agentReportIntervalMs: 30 }));
    const reports = () => g.sent.filter((s) => s === 'POST http://g/v1/agent/reports').length;
    const client = new ForesightClient({ baseUrl: 'http://g', apiKey: 'k', fetch: g.fetch, agent: { clientId: 'unit' } });
    await client.getSession('a');
    for (let i = 0; i < 200 && reports() < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(reports()).toBeGreaterThanOrEqual(2);
    client.close();
    const atClose = reports();
    await new Promise((r) => setTimeout(r, 120));
    expect(reports()).toBe(atClose);
  });

  it("refuses values over the gateway's limits before sending them", async () => {
    const g = gateway();
    const client = new ForesightClient({ baseUrl: 'http://g', apiKey: 'k', fetch: g.fetch, agent: false });
    const error = await client.setVariable('s', 'cart', 'items', 'x'.repeat(100)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooLargeError);
    expect(error).toMatchObject({ code: 'SESSION.VARIABLE_TOO_LARGE', limitBytes: 64, sizeBytes: 102, clientSide: true });
    await expect(client.createSession({ data: { cart: { a: 'x'.repeat(50), b: 'y'.repeat(50) } } })).rejects.toMatchObject({ code: 'SESSION.TOO_LARGE' });
    await expect(client.setVariable('s', 'cart', 'bad name', 1)).rejects.toMatchObject({ code: 'REQUEST.INVALID' });
    expect(g.sent.filter((s) => !s.endsWith('/v1/contract'))).toEqual([]);
    await expect(client.setVariable('s', 'cart', 'items', 'small')).resolves.toEqual({ version: 2 });
  });
});

describe('errors and back-off', () => {
  it('maps envelopes to classes by code; an unknown body is not mistaken for success', () => {
    expect(errorFromEnvelope(404, { error: { code: 'SESSION.NOT_FOUND', message: 'm', correlationId: 'c' } })).toBeInstanceOf(SessionNotFoundError);
    expect(errorFromEnvelope(503, { error: { code: 'SHARD.NO_OWNER', message: 'm', correlationId: 'c' } }).retryable).toBe(true);
    expect(errorFromEnvelope(503, '<html>')).toBeInstanceOf(UnavailableError);
    expect(errorFromEnvelope(404, undefined).code).toBe('CLIENT.BAD_RESPONSE');
  });

  it('draws full-jitter delays below an exponential ceiling', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.999)).toBe(399);
    expect(backoffDelay(9, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(9, policy, () => 0)).toBe(0);
  });

  it('the agent keeps a rolling window of fixed size with percentiles within 10 %', () => {
    let now = 0;
    const meter = new AgentMeter({ now: () => now, slotMs: 1000, slots: 10, maxGateways: 2 });
    for (let i = 1; i <= 1000; i++) meter.record('http://a', i / 10, i % 10 === 0);
    meter.record('http://b', 1, false);
    meter.record('http://c', 1, false); // over maxGateways: ignored
    const [a] = meter.snapshot();
    expect(a).toMatchObject({ gateway: 'http://a', requests: 1000, errors: 100 });
    expect(a!.rttMs.p50).toBeGreaterThan(45);
    expect(a!.rttMs.p50).toBeLessThan(55);
    expect(a!.rttMs.p99).toBeGreaterThan(89);
    expect(meter.snapshot()).toHaveLength(2);
    now += 10_000;
    expect(meter.snapshot()[0]).toMatchObject({ requests: 0, throughputRps: 0 });
  });
});
