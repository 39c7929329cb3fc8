import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, type PredictionResult } from '@foresight/contracts';
import { eventually } from '@foresight/testing';
import { chromium, type Browser } from 'playwright-core';
import type { LocalStack } from '../../scripts/local-stack';
import { api, startTestStack } from './support';

/** Debian's Chromium; never a downloaded browser. */
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const OPERATOR_KEY = 'e2e-operator-key';
/** Git-ignored; CI keeps what the tests leave there. */
const ARTIFACTS = join(__dirname, '..', '..', '.test-artifacts', 'dashboard');

interface DashboardJson {
  snapshot: {
    cluster: { liveNodes: number } | null;
    point: { liveSessions: number | null };
    predictions: { served: number; scored: number; top1: number };
  };
}

describe("operators' dashboard (every service a process; the page in headless Chromium)", () => {
  let stack: LocalStack;
  let client: ReturnType<typeof api>;
  let browser: Browser;

  const dashboard = (headers: Record<string, string>) => fetch(`${stack.gatewayUrl}/dashboard/snapshot`, { headers });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_BIN.`);
    stack = await startTestStack('dashboard', {
      shardNodes: 2,
      extraServices: ['prediction', 'token'],
      // Half-second buckets, so the token panel has points to draw within the test.
      env: { FORESIGHT_OPERATOR_KEYS: OPERATOR_KEY, TOKEN_SCHEDULER_BUCKET_MS: '500' },
    });
    client = api(stack);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  it('needs an operator key: 401 with a Basic challenge without one, 403 for a back-end API key, both in the error envelope', async () => {
    const none = await dashboard({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await none.json()).toMatchObject({ error: { code: ErrorCodes.UNAUTHENTICATED, correlationId: expect.any(String) } });
    const backEnd = await dashboard({ 'x-api-key': stack.apiKey });
    expect(backEnd.status).toBe(403);
    expect(await backEnd.json()).toMatchObject({ error: { code: ErrorCodes.FORBIDDEN } });
    expect((await dashboard({ 'x-operator-key': OPERATOR_KEY })).status).toBe(200);
  });

  it('scores the predictions it served against the next recorded action', async () => {
    const record = async (id: string, action: string) => expect((await client.call('POST', `/v1/sessions/${id}/actions`, { action })).status).toBe(201);
    const id = (await client.create({ userId: 'watched' })).body.id;
    await record(id, 'home');
    // The prediction service learns the first action from the stream; the answer only needs to exist.
    const served = await client.call<PredictionResult>('GET', `/v1/sessions/${id}/predictions?n=3`);
    expect(served.status).toBe(200);
    await record(id, 'search');
    const scored = await eventually(
      async () => {
        const body = (await (await dashboard({ 'x-operator-key': OPERATOR_KEY })).json()) as DashboardJson;
        return body.snapshot.predictions.scored === 1 ? body.snapshot.predictions : undefined;
      },
      30_000,
      'the served prediction to be scored',
    );
    expect(scored.served).toBe(1);
  }, 60_000);

  it('shows the live node count in the page and follows a shard node killed with SIGKILL, without console errors', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'operator', password: OPERATOR_KEY }, viewport: { width: 1440, height: 1800 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    try {
      const response = await page.goto(`${stack.gatewayUrl}/dashboard`);
      expect(response?.status()).toBe(200);
      // Locators wait without evaluating strings in the page (its content security policy forbids eval).
      const liveNodes = (n: number) => page.locator('[data-testid="live-nodes"]', { hasText: new RegExp(`^${n}$`) }).waitFor({ timeout: 60_000 });
      await liveNodes(2);
      await page.waitForSelector('tr[data-node="shard-2"][data-status="active"]', { timeout: 30_000 });
      expect(await page.textContent('[data-testid="connection"]')).toBe('live');

      // Some traffic, so the charts have something to draw; the owners count the sessions they hold.
      for (let i = 0; i < 5; i++) {
        const id = (await client.create({ data: { cart: { n: i } } })).body.id;
        expect((await client.put(id, 'cart', 'n', i + 1)).status).toBe(200);
        expect((await client.getVar(id, 'cart', 'n')).status).toBe(200);
      }
      await page.locator('#live-sessions', { hasText: /^([5-9]|[1-9][0-9]+)$/ }).waitFor({ timeout: 30_000 });

      // The token panel: the token service's buckets, its lifetime bounds and the scheduler's decisions.
      const tokenPanel = page.locator('[data-testid="token-forecast-summary"]', {
        hasText:
          /^Peak predicted: (yes|no)\. Access tokens live 15 min \(up to 30 min in a predicted peak\); \d+ issued longer\. .* ([2-9]|[1-9]\d+) buckets of 0\.50 s\.$/,
      });
      await tokenPanel.waitFor({ timeout: 60_000 });
      expect(await page.locator('#chart-token-forecast canvas').count()).toBe(1);

      await stack.kill('shard-2', 'SIGKILL');
      await liveNodes(1);
      await page.waitForSelector('tr[data-node="shard-2"]:not([data-status="active"])', { timeout: 30_000 });
      // The survivor takes shard-2's shards over: the map shows none left with it.
      await page.locator('tr[data-node="shard-2"] td:nth-child(3)', { hasText: /^0$/ }).waitFor({ timeout: 60_000 });

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
      expect(existsSync(join(ARTIFACTS, 'dashboard.png'))).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);
});
