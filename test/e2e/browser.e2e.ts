import { join } from 'node:path';
import { ForesightClient, type TokenPair } from '@foresight/client';
import type { Page } from 'playwright-core';
import type { LocalStack } from '../../scripts/local-stack';
import { bundleBrowserClient, launchChromium, servePage } from './browser-support';
import { startTestStack } from './support';

/** Short access tokens so the page rides through several expiries (as in token.e2e.ts). */
const TOKEN_ENV = {
  TOKEN_ACCESS_TTL_MS: '4000',
  // Every token as short, even if the service judged itself in a load peak: these tests ride expiries.
  TOKEN_MAX_ACCESS_TTL_MS: '4000',
  TOKEN_REFRESH_THRESHOLD_MS: '3000',
  TOKEN_REFRESH_MIN_SKEW_MS: '1500',
  TOKEN_SCHEDULER_BUCKET_MS: '250',
  TOKEN_MAX_PULL_FORWARD_MS: '500',
};

interface RideResult {
  readonly requests: number;
  readonly failures: string[];
  readonly accessTokens: number;
  readonly pushed: number;
  readonly refreshes: number;
  readonly afterRevocation: string;
}

/** What runs in the page: the bundled client, with the pair the back end issued, for `ms`. */
function rideInPage(page: Page, sessionId: string, tokens: TokenPair, ms: number, revoke: string): Promise<RideResult> {
  return page.evaluate(
    async ({ sessionId, tokens, ms, revoke }) => {
      const page = globalThis as unknown as { Foresight: typeof import('@foresight/client'); location: { origin: string } };
      const session = page.Foresight.ForesightClient.forSession({ baseUrl: page.location.origin, sessionId, tokens, agent: { reportIntervalMs: 0 } });
      const seen = new Set<string>();
      const failures: string[] = [];
      let requests = 0;
      const until = Date.now() + ms;
      for (let i = 0; Date.now() < until; i++) {
        try {
          if (i % 2 === 0) await session.set('cart', 'n', i);
          else await session.get({ groups: ['cart'] });
        } catch (error) {
          failures.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
        requests++;
        seen.add(session.tokens!.current.accessToken);
        await new Promise((r) => setTimeout(r, 100));
      }
      await session.client.reportNow();
      // The back end revokes the family (logout everywhere); the page learns it as one typed error.
      await fetch(revoke, { method: 'POST' });
      let afterRevocation = 'none';
      for (let i = 0; i < 50 && afterRevocation === 'none'; i++) {
        try {
          await session.get();
          await new Promise((r) => setTimeout(r, 100));
        } catch (error) {
          afterRevocation = (error as Error).name;
        }
      }
      const stats = session.tokens!.stats;
      session.close();
      return { requests, failures, accessTokens: seen.size, pushed: stats.pushed, refreshes: stats.refreshes, afterRevocation };
    },
    { sessionId, tokens, ms, revoke },
  );
}

/** The client's browser build, bundled by esbuild, in Debian's headless Chromium against the real stack. */
describe('@foresight/client in a browser (headless Chromium; gateway, metadata, shard, token service as processes)', () => {
  let stack: LocalStack;
  let site: Awaited<ReturnType<typeof servePage>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let backEnd: ForesightClient;

  beforeAll(async () => {
    stack = await startTestStack('browser', { shardNodes: 1, extraServices: ['token'], env: TOKEN_ENV });
    backEnd = new ForesightClient({ baseUrl: stack.gatewayUrl, apiKey: stack.apiKey, agent: false });
    const script = await bundleBrowserClient(join(__dirname, '..', '..', 'packages', 'client', 'src', 'browser.ts'));
    // The site's back end logs a session out everywhere with the API key, which the page never sees.
    site = await servePage(stack.gatewayUrl, script, async (path) => void (await backEnd.revokeTokens(path.split('/').pop()!)));
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    backEnd?.close();
    await stack?.stop();
  }, 60_000);

  it('rides through several access-token expiries on pushed pairs with no failed request, then meets a revocation as TokenRevokedError', async () => {
    const { id } = await backEnd.createSession({ userId: 'browser-user' });
    const pair = await backEnd.issueTokens(id);
    const page = await browser.context.newPage();
    await page.goto(site.url);
    const result = await rideInPage(page, id, pair, 12_000, `${site.url}/test/revoke/${id}`);
    process.stderr.write(`browser: ${JSON.stringify({ ...result, failures: result.failures.length })}\n`);
    expect(result.failures).toEqual([]);
    expect(result.requests).toBeGreaterThan(40);
    // 12 s of 4-s tokens: at least three expiries, crossed on pairs the gateway pushed.
    expect(result.accessTokens).toBeGreaterThanOrEqual(4);
    expect(result.pushed).toBeGreaterThanOrEqual(3);
    expect(result.refreshes).toBe(0);
    expect(result.afterRevocation).toBe('TokenRevokedError');
    await page.close();
  }, 90_000);
});
