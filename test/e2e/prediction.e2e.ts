import { loadConfig } from '@foresight/config';
import { ErrorCodes, type PredictionResult } from '@foresight/contracts';
import { generateSessionId } from '@foresight/session-domain';
import { eventually } from '@foresight/testing';
import type { LocalStack } from '../../scripts/local-stack';
import { api, errorCode, startTestStack, type ApiResponse } from './support';

const codeOf = (r: ApiResponse<unknown>) => (r.body as { error?: { code?: string } }).error?.code;

const FLOW = ['home', 'search', 'view_product:42', 'add_to_cart', 'checkout'];

describe('predictions through the gateway (gateway, metadata, shard and prediction as processes)', () => {
  let stack: LocalStack;
  let client: ReturnType<typeof api>;

  const predictions = (id: string, query = '') => client.call<PredictionResult>('GET', `/v1/sessions/${id}/predictions${query}`);
  const record = async (id: string, actions: readonly string[]) => {
    for (const action of actions) expect((await client.call('POST', `/v1/sessions/${id}/actions`, { action })).status).toBe(201);
  };

  beforeAll(async () => {
    stack = await startTestStack('prediction', { shardNodes: 1, extraServices: ['prediction'] });
    client = api(stack);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('learns from recorded actions and predicts the next one first, with probabilities and a model version', async () => {
    for (let i = 0; i < 4; i++) {
      const s = await client.create({ userId: `shopper-${i}` });
      await record(s.body.id, FLOW);
    }
    const id = (await client.create({ userId: 'newcomer' })).body.id;
    await record(id, ['home', 'search']);
    const r = await eventually(
      async () => {
        const res = await predictions(id, '?n=3');
        return res.status === 200 && res.body.historyLength === 2 && res.body.predictions[0]?.action === 'view_product:42' ? res : undefined;
      },
      20_000,
      'a prediction from the learned actions',
    );
    expect(r.body).toMatchObject({ sessionId: id, modelVersion: 'markov-live', model: 'markov' });
    expect(r.body.predictions).toHaveLength(3);
    const ps = r.body.predictions.map((p) => p.p);
    expect(ps[0]).toBeGreaterThan(0.5);
    expect([...ps].sort((a, b) => b - a)).toEqual(ps);

    // Next step of the same session, after one more action.
    await record(id, ['view_product:42']);
    await eventually(async () => ((await predictions(id, '?n=1')).body.predictions?.[0]?.action === 'add_to_cart' ? true : undefined), 20_000, 'the next step');
  });

  it('answers a session that has no action yet from the start-of-session distribution', async () => {
    const id = (await client.create({})).body.id;
    const r = await predictions(id);
    expect(r.status).toBe(200);
    expect(r.body.historyLength).toBe(0);
    expect(r.body.predictions[0]!.action).toBe('home');
    expect(r.body.predictions.length).toBeLessThanOrEqual(5);
  });

  it('rejects bad input with the gateway error format and stable codes', async () => {
    const id = (await client.create({})).body.id;
    for (const n of ['0', '51', 'abc', '2.5', '-1']) {
      const r = await predictions(id, `?n=${n}`);
      expect([r.status, codeOf(r)]).toEqual([400, ErrorCodes.VALIDATION]);
    }
    const forged = await predictions('A'.repeat(32));
    expect([forged.status, codeOf(forged)]).toEqual([404, ErrorCodes.SESSION_NOT_FOUND]);
    // Issued with the cluster's secret but never created: the prediction service finds no such session.
    const neverCreated = generateSessionId(loadConfig('gateway', {}).session.idSecret);
    const unknown = await predictions(neverCreated);
    expect([unknown.status, codeOf(unknown)]).toEqual([404, ErrorCodes.SESSION_NOT_FOUND]);
    const noKey = await client.call('GET', `/v1/sessions/${id}/predictions`, undefined, { 'x-api-key': 'wrong' });
    expect([noKey.status, errorCode(noKey)]).toEqual([401, ErrorCodes.UNAUTHENTICATED]);
    expect((noKey.body as { error: { correlationId?: string } }).error.correlationId).toBeTruthy();
  });
});
