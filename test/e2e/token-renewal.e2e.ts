import { ForesightClient } from '@foresight/client';
import type { TokenPair } from '@foresight/contracts';
import { eventually } from '@foresight/testing';
import type { LocalStack } from '../../scripts/local-stack';
import { startTestStack } from './support';

/**
 * Renewal on use alone: the scheduler is told to leave every token to expire
 * (`TOKEN_ACTIVE_PROBABILITY=1`, no session is ever that sure to come back), so any pair a client
 * receives was minted because one of its requests used a token close to expiry.
 */
const TOKEN_ENV = {
  TOKEN_ACCESS_TTL_MS: '4000',
  TOKEN_MAX_ACCESS_TTL_MS: '4000',
  TOKEN_REFRESH_THRESHOLD_MS: '3000',
  TOKEN_REFRESH_MIN_SKEW_MS: '1500',
  TOKEN_SCHEDULER_BUCKET_MS: '250',
  TOKEN_MAX_PULL_FORWARD_MS: '500',
  TOKEN_ACTIVE_PROBABILITY: '1',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jtiOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { jti: string }).jti;

async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

describe('token renewal on use end to end (gateway, metadata, shard, token service as processes)', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startTestStack('tokenrenewal', { shardNodes: 1, extraServices: ['token'], env: TOKEN_ENV });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('a client using its tokens rides through expiries on pairs renewed on use, without a refresh on its path', async () => {
    const created = await fetch(`${stack.gatewayUrl}/v1/sessions`, {
      method: 'POST',
      headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'renewer' }),
    });
    const { id } = (await created.json()) as { id: string };
    const issued = await fetch(`${stack.gatewayUrl}/v1/sessions/${id}/tokens`, {
      method: 'POST',
      headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json' },
      body: '{}',
    });
    const first = (await issued.json()) as TokenPair;
    const before = await counter(stack.gatewayUrl, 'foresight_gateway_token_renewals_total');

    const session = ForesightClient.forSession({ baseUrl: stack.gatewayUrl, sessionId: id, tokens: first, agent: false });
    const tokens = session.tokens!;
    const failures: unknown[] = [];
    const jtis = new Set<string>();
    const until = Date.now() + 12_000;
    for (let i = 0; Date.now() < until; i++) {
      try {
        await session.set('cart', 'n', i);
      } catch (error) {
        failures.push(error);
      }
      jtis.add(jtiOf(tokens.current.accessToken));
      await sleep(100);
    }
    session.close();
    const { pushed, refreshes } = tokens.stats;
    process.stderr.write(`renewal on use: ${jtis.size} access tokens, ${pushed} pushed pairs, ${refreshes} on-request refreshes\n`);

    expect(failures).toEqual([]);
    expect(refreshes).toBe(0);
    // 12 s on 4-s tokens: at least two expiries ridden through, each on a pair renewed on use.
    expect(pushed).toBeGreaterThanOrEqual(2);
    expect(jtis.size).toBeGreaterThanOrEqual(3);
    await eventually(
      async () => {
        const asked = (await counter(stack.gatewayUrl, 'foresight_gateway_token_renewals_total')) - before;
        return asked >= 2 ? asked : undefined;
      },
      10_000,
      'the renewals asked for to be counted',
    );
  }, 60_000);
});
