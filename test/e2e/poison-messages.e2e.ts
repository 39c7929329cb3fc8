import {
  AFFINITY_EVENT_TYPES,
  affinitySubjects,
  CLUSTER_EVENT_TYPES,
  Headers,
  PREDICTION_EVENT_TYPES,
  predictionSubjects,
  SESSION_EVENT_TYPES,
  subjects,
  TOKEN_EVENT_TYPES,
  tokenSubjects,
  type TokenPair,
} from '@foresight/contracts';
import { eventually, garbagePayloads } from '@foresight/testing';
import type { Msg, NatsConnection } from 'nats';
import type { LocalStack } from '../../scripts/local-stack';
import { api, errorCode, natsAs, startTestStack } from './support';

/**
 * The garbage publisher's connection. The bus refuses anyone without credentials, and each event family
 * has one publisher; the operator user (anything in the account) stands for a buggy or compromised
 * publisher that still holds the rights, and manages consumers in the restart test.
 */
function connectAsGarbagePublisher(stack: LocalStack): Promise<NatsConnection> {
  return natsAs(stack, { role: 'operator' });
}

/** Every concrete subject of every stream in the namespace: each known event type, plus one nobody knows. */
function streamSubjects(ns: string): Map<string, { wildcard: string; types: readonly string[] }> {
  const s = subjects(ns);
  const t = tokenSubjects(ns);
  const p = predictionSubjects(ns);
  const a = affinitySubjects(ns);
  return new Map([
    [s.sessionStream, { wildcard: s.sessionEventsWildcard, types: [...SESSION_EVENT_TYPES, 'session.never_heard_of'] }],
    [s.clusterStream, { wildcard: s.clusterEventsWildcard, types: [...CLUSTER_EVENT_TYPES, 'cluster.never_heard_of'] }],
    [t.tokenStream, { wildcard: t.tokenEventsWildcard, types: [...TOKEN_EVENT_TYPES, 'token.never_heard_of'] }],
    [p.predictionStream, { wildcard: p.predictionEventsWildcard, types: [...PREDICTION_EVENT_TYPES, 'prediction.never_heard_of'] }],
    [a.affinityStream, { wildcard: a.affinityEventsWildcard, types: [...AFFINITY_EVENT_TYPES, 'affinity.never_heard_of'] }],
  ]);
}

const FLOW = ['poison-home', 'poison-search', 'poison-checkout'];

describe('poison messages on every stream subject (gateway, metadata, shard, token and prediction as processes)', () => {
  let stack: LocalStack;
  let nc: NatsConnection;
  let client: ReturnType<typeof api>;
  const letters: Msg[] = [];

  const serviceUrl = (name: string) => stack.services.get(name)!.httpUrl;
  const metric = async (service: string, name: string, labels: Record<string, string>): Promise<number> => {
    const text = await (await fetch(`${serviceUrl(service)}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  };
  /** A call with a bearer token or none, without the API key (as a browser client makes it). */
  const asClient = async (method: string, path: string, opts: { bearer?: string; body?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`${stack.gatewayUrl}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const health = async (service: string) => {
    const r = await fetch(`${serviceUrl(service)}/health`);
    return { status: r.status, body: (await r.json()) as { status: string; checks: Record<string, string> } };
  };
  const signedIn = async (userId: string) => {
    const created = await client.create({ userId });
    expect(created.status).toBe(201);
    const issued = await client.call<TokenPair>('POST', `/v1/sessions/${created.body.id}/tokens`, {});
    expect(issued.status).toBe(201);
    return { id: created.body.id, pair: issued.body };
  };
  const recordFlow = async (userId: string) => {
    const id = (await client.create({ userId })).body.id;
    for (const action of FLOW) expect((await client.call('POST', `/v1/sessions/${id}/actions`, { action })).status).toBe(201);
    return id;
  };

  beforeAll(async () => {
    stack = await startTestStack('poison', { shardNodes: 1, extraServices: ['token', 'prediction'] });
    client = api(stack);
    nc = await connectAsGarbagePublisher(stack);
    nc.subscribe(subjects(stack.namespace).deadLetterWildcard, { callback: (_err, m) => letters.push(m) });
    await nc.flush();
  }, 180_000);

  afterAll(async () => {
    await nc?.drain();
    await stack?.stop();
  }, 60_000);

  it('after every kind of garbage on every stream subject: session end still revokes tokens, actions still reach the models, health is ok', async () => {
    const before = await signedIn('poisoned-before');
    const learnedBefore = await metric('prediction', 'foresight_prediction_actions_total', { outcome: 'learned' });

    // Every stream of the namespace is covered (a new stream must be added above).
    const known = streamSubjects(stack.namespace);
    const jsm = await nc.jetstreamManager();
    const ours = (await jsm.streams.list().next()).filter((info) => info.config.name.startsWith(`${stack.namespace.toUpperCase()}_`));
    for (const info of ours) {
      expect({ stream: info.config.name, subjects: info.config.subjects }).toEqual({
        stream: info.config.name,
        subjects: [known.get(info.config.name)?.wildcard],
      });
    }
    expect(ours.map((i) => i.config.name).sort()).toEqual([...known.keys()].sort());
    const js = nc.jetstream();
    let published = 0;
    for (const { types } of known.values()) {
      for (const type of types) {
        const subject = `${stack.namespace}.evt.${type}`;
        for (const g of garbagePayloads(type, nc.info!.max_payload)) {
          await js.publish(subject, g.bytes);
          published++;
        }
      }
    }
    process.stderr.write(`published ${published} garbage messages on ${[...known.values()].reduce((n, k) => n + k.types.length, 0)} subjects\n`);

    // The session's end is consumed after all that garbage: its tokens are revoked at the gateway.
    expect((await client.call('DELETE', `/v1/sessions/${before.id}`)).status).toBe(200);
    const refused = await eventually(
      async () => {
        const r = await asClient('GET', `/v1/sessions/${before.id}`, { bearer: before.pair.accessToken });
        return r.status === 401 ? r : undefined;
      },
      30_000,
      'the access token refused after the session ended',
    );
    expect(errorCode(refused)).toBe('TOKEN.REVOKED');
    const rotated = await asClient('POST', '/v1/tokens/refresh', { body: { refreshToken: before.pair.refreshToken } });
    expect([rotated.status, errorCode(rotated)]).toEqual([401, 'TOKEN.REVOKED']);

    // A session signed in after the garbage: the same.
    const after = await signedIn('poisoned-after');
    expect((await client.call('DELETE', `/v1/sessions/${after.id}`)).status).toBe(200);
    const refusedLater = await eventually(
      async () => {
        const r = await asClient('GET', `/v1/sessions/${after.id}`, { bearer: after.pair.accessToken });
        return r.status === 401 ? r : undefined;
      },
      30_000,
      'the later access token refused',
    );
    expect(errorCode(refusedLater)).toBe('TOKEN.REVOKED');

    // Recorded actions still reach the prediction service's models (learned from the stream only).
    for (let i = 0; i < 3; i++) await recordFlow(`poisoned-shopper-${i}`);
    await eventually(
      async () =>
        (await metric('prediction', 'foresight_prediction_actions_total', { outcome: 'learned' })) >= learnedBefore + 3 * FLOW.length ? true : undefined,
      30_000,
      'the actions learned',
    );
    const probe = (await client.create({ userId: 'poisoned-probe' })).body.id;
    expect((await client.call('POST', `/v1/sessions/${probe}/actions`, { action: FLOW[0] })).status).toBe(201);
    await eventually(
      async () => {
        const r = await client.call<{ predictions: { action: string }[] }>('GET', `/v1/sessions/${probe}/predictions?n=1`);
        return r.body.predictions?.[0]?.action === FLOW[1] ? true : undefined;
      },
      30_000,
      'a prediction learned after the garbage',
    );

    // Poison was terminated on first delivery, counted and dead-lettered; nothing is redelivered.
    for (const service of ['token', 'prediction']) {
      expect(await metric(service, 'foresight_consumer_poison_total', { reason: 'not_an_envelope' })).toBeGreaterThan(0);
      expect(await metric(service, 'foresight_consumer_poison_total', { reason: 'undecodable' })).toBeGreaterThan(0);
      expect(await metric(service, 'foresight_consumer_poison_total', { reason: 'rejected' })).toBeGreaterThan(0);
      expect(await metric(service, 'foresight_consumer_restarts_total', {})).toBe(0);
    }
    const garbageSubjects = new Set([...known.values()].flatMap((k) => k.types.map((type) => `${stack.namespace}.evt.${type}`)));
    expect(letters.length).toBeGreaterThan(0);
    for (const letter of letters) expect(garbageSubjects.has(letter.headers?.get(Headers.deadLetterSubject) ?? '')).toBe(true);
    const durables = new Set(letters.map((l) => l.headers?.get(Headers.deadLetterConsumer)));
    expect(durables.has('token-activity')).toBe(true);
    expect([...durables].some((d) => d?.startsWith('prediction-'))).toBe(true);
    await eventually(
      async () => {
        const consumers = await jsm.consumers.list(subjects(stack.namespace).sessionStream).next();
        return consumers.length >= 2 && consumers.every((c) => c.num_ack_pending === 0 && c.num_pending === 0) ? consumers : undefined;
      },
      30_000,
      'nothing pending on the session stream consumers',
    );
    for (const c of await jsm.consumers.list(subjects(stack.namespace).sessionStream).next())
      expect({ durable: c.name, redelivered: c.num_redelivered }).toEqual({ durable: c.name, redelivered: 0 });

    for (const service of ['token', 'prediction', 'gateway']) {
      const h = await health(service);
      expect({ service, status: h.status, body: h.body.status }).toEqual({ service, status: 200, body: 'ok' });
    }
    expect((await health('token')).body.checks['session-activity-consumer']).toBe('ok');
    expect((await health('prediction')).body.checks['action-consumer']).toBe('ok');
  }, 240_000);

  it('a consumer deleted under the running services is recreated: revocation and learning keep working', async () => {
    const jsm = await nc.jetstreamManager();
    const stream = subjects(stack.namespace).sessionStream;
    const durables = (await jsm.consumers.list(stream).next()).map((c) => c.name);
    expect(durables).toContain('token-activity');
    expect(durables.some((d) => d.startsWith('prediction-'))).toBe(true);
    for (const durable of durables) await jsm.consumers.delete(stream, durable);
    for (const service of ['token', 'prediction']) {
      await eventually(
        async () => ((await metric(service, 'foresight_consumer_restarts_total', {})) >= 1 ? true : undefined),
        60_000,
        `${service} restarted its consumer`,
      );
      await eventually(async () => ((await health(service)).status === 200 ? true : undefined), 30_000, `${service} healthy again`);
    }
    await eventually(async () => ((await jsm.consumers.list(stream).next()).length >= durables.length ? true : undefined), 30_000, 'the consumers recreated');

    const session = await signedIn('after-deletion');
    expect((await client.call('DELETE', `/v1/sessions/${session.id}`)).status).toBe(200);
    const refused = await eventually(
      async () => {
        const r = await asClient('GET', `/v1/sessions/${session.id}`, { bearer: session.pair.accessToken });
        return r.status === 401 ? r : undefined;
      },
      30_000,
      'the access token refused after the session ended',
    );
    expect(errorCode(refused)).toBe('TOKEN.REVOKED');
    const learned = await metric('prediction', 'foresight_prediction_actions_total', { outcome: 'learned' });
    await recordFlow('after-deletion-shopper');
    await eventually(
      async () => ((await metric('prediction', 'foresight_prediction_actions_total', { outcome: 'learned' })) >= learned + FLOW.length ? true : undefined),
      30_000,
      'actions learned after the restart',
    );
  }, 180_000);
});
