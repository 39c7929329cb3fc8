import { connect, nkeyAuthenticator, type NatsConnection } from 'nats';
import { createUser } from 'nkeys.js';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { subjects, tokenSubjects, type NatsIdentity, type TokenPair } from '@foresight/contracts';
import { callRpc, encode } from '@foresight/messaging';
import { generateSessionId } from '@foresight/session-domain';
import type { LocalStack } from '../../scripts/local-stack';
import { eventually } from '@foresight/testing';
import { api, natsAs, startTestStack } from './support';

const SECRET = `bus-security-${randomBytes(16).toString('hex')}`;

/** The request is refused by nats-server itself: the user may not publish there. */
async function expectPublishDenied(request: Promise<unknown>): Promise<void> {
  await expect(request).rejects.toThrow(/permissions violation for publish/i);
}

/** The subscription is refused by nats-server: the user may not receive on that subject. */
function expectSubscribeDenied(nc: NatsConnection, subject: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`subscribing to ${subject} was not refused`)), 10_000);
    nc.subscribe(subject, {
      callback: (err) => {
        if (!err) return;
        clearTimeout(timer);
        if (/permissions violation for subscription/i.test(err.message)) resolve();
        else reject(err);
      },
    });
  });
}

/** A publish the user is not allowed (a JetStream publish waits for the stream's ack, so the refusal comes back). */
const jsPublish = (nc: NatsConnection, subject: string, body: unknown) => nc.jetstream().publish(subject, encode(body), { timeout: 5000 });

/**
 * The NATS bus is closed: every service has its own user and may publish and subscribe only where
 * its role needs (libs/contracts/src/permissions.ts), a shard node's user is bound to its node id,
 * and the metadata and token services refuse what permissions cannot express. Each test is one
 * forbidden action, tried with credentials a real process of the stack holds.
 */
describe('bus security: per-service NATS users and the checks behind them', () => {
  let stack: LocalStack;
  let client: ReturnType<typeof api>;
  let db: Client;
  const conns: NatsConnection[] = [];
  const as = async (identity: NatsIdentity) => {
    const nc = await natsAs(stack, identity);
    conns.push(nc);
    return nc;
  };
  const nodes = async () =>
    (await db.query<{ node_id: string; incarnation: string; rpc_subject: string; status: string }>('SELECT * FROM nodes ORDER BY node_id')).rows;
  const owners = async () => (await db.query<{ owner_node: string }>('SELECT DISTINCT owner_node FROM shards')).rows.map((r) => r.owner_node).sort();

  beforeAll(async () => {
    stack = await startTestStack('bussec', { shardNodes: 2, extraServices: ['token'], env: { SESSION_ID_SECRET: SECRET } });
    client = api(stack);
    db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(conns.map((nc) => nc.close().catch(() => undefined)));
    await db?.end();
    await stack?.stop();
  }, 60_000);

  it('refuses a connection without credentials, with a password, or with an nkey seed the server does not know', async () => {
    const refused = { code: 'AUTHORIZATION_VIOLATION' };
    await expect(connect({ servers: stack.natsUrl, reconnect: false, timeout: 5000 })).rejects.toMatchObject(refused);
    const gateway = stack.natsLogin({ role: 'gateway' })!;
    // Users authenticate with nkeys only: a user name and password get nowhere, even the seed used as a password.
    await expect(connect({ servers: stack.natsUrl, user: gateway.user, pass: 'wrong', reconnect: false, timeout: 5000 })).rejects.toMatchObject(refused);
    await expect(connect({ servers: stack.natsUrl, user: gateway.user, pass: gateway.seed, reconnect: false, timeout: 5000 })).rejects.toMatchObject(refused);
    // A well-formed user seed, but not one whose public key the server lists.
    const stranger = new TextDecoder().decode(createUser().getSeed());
    const withSeed = (seed: string) =>
      connect({ servers: stack.natsUrl, authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)), reconnect: false, timeout: 5000 });
    await expect(withSeed(stranger)).rejects.toMatchObject(refused);
    // The right seed gets in (so the refusals above are about the credentials, not the server).
    await (await withSeed(gateway.seed)).close();
  });

  it('does not let gateway credentials register or heartbeat a node, so an invented node takes no shard', async () => {
    const s = subjects(stack.namespace);
    const gateway = await as({ role: 'gateway' });
    await expectPublishDenied(callRpc(gateway, s.membershipRpc('intruder', 'register'), 'register', { incarnation: 'x' }, { timeoutMs: 5000 }));
    await expectPublishDenied(callRpc(gateway, s.membershipRpc('shard-1', 'heartbeat'), 'heartbeat', { incarnation: 'x' }, { timeoutMs: 5000 }));
    await expectPublishDenied(
      gateway.request(`${stack.namespace}.rpc.metadata.register`, encode({ nodeId: 'intruder', incarnation: 'x', rpcSubject: 'x' }), { timeout: 5000 }),
    );
    expect((await nodes()).map((n) => n.node_id)).toEqual(['shard-1', 'shard-2']);
    expect(await owners()).toEqual(['shard-1', 'shard-2']);
  });

  it("does not let a shard node register or heartbeat under another node's id, nor serve another node's subject", async () => {
    const s = subjects(stack.namespace);
    const node1 = await as({ role: 'shard', nodeId: 'shard-1' });
    await expectPublishDenied(callRpc(node1, s.membershipRpc('shard-2', 'register'), 'register', { incarnation: 'x' }, { timeoutMs: 5000 }));
    await expectPublishDenied(callRpc(node1, s.membershipRpc('shard-2', 'leave'), 'leave', { incarnation: 'x' }, { timeoutMs: 5000 }));
    await expectPublishDenied(callRpc(node1, s.membershipRpc('intruder', 'register'), 'register', { incarnation: 'x' }, { timeoutMs: 5000 }));
    await expectSubscribeDenied(node1, s.shardRpc('shard-2'));
    await expectSubscribeDenied(node1, s.shardRpc('*'));
    expect((await nodes()).map((n) => [n.node_id, n.status])).toEqual([
      ['shard-1', 'active'],
      ['shard-2', 'active'],
    ]);
  });

  it('derives the RPC subject a node serves from its id and ignores one declared in the request', async () => {
    const s = subjects(stack.namespace);
    const node1 = await as({ role: 'shard', nodeId: 'shard-1' });
    const { incarnation } = (await nodes()).find((n) => n.node_id === 'shard-1')!;
    // Its own subject and its own incarnation: accepted, but the declared subject is not taken.
    await callRpc(
      node1,
      s.membershipRpc('shard-1', 'register'),
      'register',
      { incarnation, rpcSubject: `${stack.namespace}.rpc.shard.shard-2` },
      { timeoutMs: 5000 },
    );
    expect((await nodes()).map((n) => [n.node_id, n.rpc_subject])).toEqual([
      ['shard-1', s.shardRpc('shard-1')],
      ['shard-2', s.shardRpc('shard-2')],
    ]);
  });

  it('refuses a register for a live node id under a different incarnation, and the live node keeps its shards', async () => {
    const s = subjects(stack.namespace);
    const before = (await nodes()).find((n) => n.node_id === 'shard-2')!;
    const epochs = (await db.query<{ shard: number; epoch: number }>(`SELECT shard, epoch FROM shards WHERE owner_node = 'shard-2' ORDER BY shard`)).rows;
    // The node's own credentials (a second process started with them): the metadata service refuses.
    const impostor = await as({ role: 'shard', nodeId: 'shard-2' });
    await expect(callRpc(impostor, s.membershipRpc('shard-2', 'register'), 'register', { incarnation: 'impostor' }, { timeoutMs: 5000 })).rejects.toMatchObject(
      {
        code: 'NODE.INCARNATION_CONFLICT',
        message: expect.stringMatching(/live under another incarnation/),
      },
    );
    expect((await nodes()).find((n) => n.node_id === 'shard-2')!.incarnation).toBe(before.incarnation);
    expect((await db.query(`SELECT shard, epoch FROM shards WHERE owner_node = 'shard-2' ORDER BY shard`)).rows).toEqual(epochs);
  });

  it('lets a crashed node come back under a new incarnation once its old lease has run out', async () => {
    const old = (await nodes()).find((n) => n.node_id === 'shard-2')!.incarnation;
    await stack.kill('shard-2', 'SIGKILL');
    await stack.startService('shard', 'shard-2');
    await stack.waitForAssignment(['shard-1', 'shard-2']);
    const now = (await nodes()).find((n) => n.node_id === 'shard-2')!;
    expect([now.status, now.incarnation === old]).toEqual(['active', false]);
  }, 60_000);

  it('lets only shard nodes publish session events, only metadata cluster events, only the token service token events', async () => {
    const s = subjects(stack.namespace);
    const t = tokenSubjects(stack.namespace);
    const event = { id: 'forged', type: 'session.variable_set', version: 1, sessionId: 'x', data: {} };
    const gateway = await as({ role: 'gateway' });
    const token = await as({ role: 'token' });
    const node1 = await as({ role: 'shard', nodeId: 'shard-1' });
    await expectPublishDenied(jsPublish(gateway, s.sessionEvent('session.variable_set'), event));
    await expectPublishDenied(jsPublish(token, s.sessionEvent('session.variable_set'), event));
    await expectPublishDenied(jsPublish(gateway, s.clusterEvent('cluster.node_left'), { ...event, type: 'cluster.node_left' }));
    await expectPublishDenied(jsPublish(node1, s.clusterEvent('cluster.node_left'), { ...event, type: 'cluster.node_left' }));
    await expectPublishDenied(jsPublish(gateway, t.tokenEvent('token.revoked'), { ...event, type: 'token.revoked' }));
    await expectPublishDenied(jsPublish(node1, t.tokenEvent('token.revoked'), { ...event, type: 'token.revoked' }));
  });

  it('lets no service but metadata create or change a stream', async () => {
    const gateway = await as({ role: 'gateway' });
    const node1 = await as({ role: 'shard', nodeId: 'shard-1' });
    await expectPublishDenied((await gateway.jetstreamManager()).streams.add({ name: 'EVIL', subjects: [`${stack.namespace}.rpc.evil`] }));
    const s = subjects(stack.namespace);
    const jsm = await node1.jetstreamManager();
    const info = await jsm.streams.info(s.sessionStream);
    await expectPublishDenied(jsm.streams.update(s.sessionStream, { ...info.config, subjects: [...info.config.subjects, `${stack.namespace}.rpc.>`] }));
  });

  it('lets only the gateway ask for tokens, and no one read the replies sent to another user', async () => {
    const t = tokenSubjects(stack.namespace);
    const id = (await client.create({ userId: 'u1' })).body.id;
    for (const identity of [{ role: 'shard', nodeId: 'shard-1' }, { role: 'prediction' }, { role: 'token' }, { role: 'subscriber' }] as NatsIdentity[]) {
      const nc = await as(identity);
      await expectPublishDenied(callRpc(nc, t.tokenRpc('issue'), 'issue', { sessionId: id, userId: 'u1' }, { timeoutMs: 5000 }));
      await expectPublishDenied(callRpc(nc, t.tokenRpc('revoke'), 'revoke', { sessionId: id, reason: 'logout' }, { timeoutMs: 5000 }));
    }
    const token = await as({ role: 'token' });
    await expectSubscribeDenied(token, `${stack.natsLogin({ role: 'gateway' })!.inboxPrefix}.>`);
    await expectSubscribeDenied(token, '_INBOX.>');
    // Nor read or write a session directly on a shard node's subject.
    await expectPublishDenied(callRpc(token, subjects(stack.namespace).shardRpc('shard-1'), 'session.get', { sessionId: id, groups: [] }, { timeoutMs: 5000 }));
  });

  it('mints only for a live session the cluster issued, for its own user', async () => {
    const t = tokenSubjects(stack.namespace);
    const gateway = await as({ role: 'gateway' });
    const issue = (sessionId: string, userId = 'u1') => callRpc<TokenPair>(gateway, t.tokenRpc('issue'), 'issue', { sessionId, userId }, { timeoutMs: 5000 });
    await expect(issue(randomBytes(24).toString('base64url'))).rejects.toMatchObject({
      code: 'SESSION.NOT_FOUND',
      message: expect.stringMatching(/not issued/),
    });
    await expect(issue(generateSessionId(SECRET))).rejects.toMatchObject({ code: 'SESSION.NOT_FOUND' });
    const ended = (await client.create({ userId: 'u1' })).body.id;
    expect((await client.call('DELETE', `/v1/sessions/${ended}`)).status).toBe(200);
    await expect(issue(ended)).rejects.toMatchObject({ code: 'SESSION.ENDED' });
    const live = (await client.create({ userId: 'u1' })).body.id;
    await expect(issue(live, 'someone-else')).rejects.toMatchObject({ code: 'REQUEST.INVALID' });
    expect((await issue(live)).accessToken).toEqual(expect.any(String));
    // Operation and subject go together (permissions are per subject): an issue sent on the jwks subject is refused.
    await expect(callRpc(gateway, t.tokenRpc('jwks'), 'issue', { sessionId: live, userId: 'u1' }, { timeoutMs: 5000 })).rejects.toMatchObject({
      code: 'RPC.UNKNOWN_OPERATION',
    });
  });

  it("keeps a forged session.variable_set out of the gateway's edge cache", async () => {
    const id = (await client.create({ data: { cart: { n: 0 } } })).body.id;
    const put = await client.put(id, 'cart', 'n', 1);
    expect(put.status).toBe(200);
    // Two reads: the second is served by the edge cache, which would apply the forged next version.
    expect((await client.getVar(id, 'cart', 'n')).body.value).toBe(1);
    expect((await client.getVar(id, 'cart', 'n')).body.value).toBe(1);
    const forged = {
      id: 'forged',
      type: 'session.variable_set',
      version: 1,
      sessionId: id,
      streamVersion: put.body.version + 1,
      data: { group: 'cart', name: 'n', value: 'forged' },
    };
    const token = await as({ role: 'token' });
    let refused = false;
    void (async () => {
      for await (const status of token.status()) if (status.type === 'error' && /permissions[ _]violation/i.test(String(status.data))) refused = true;
    })();
    token.publish(subjects(stack.namespace).sessionEvent('session.variable_set'), encode(forged));
    await token.flush();
    await new Promise((r) => setTimeout(r, 300)); // a forged event, had it been delivered, would be applied by now
    expect((await client.getVar(id, 'cart', 'n')).body.value).toBe(1);
    await eventually(() => refused || undefined, 10_000, 'nats-server to refuse the publication');
  }, 30_000);
});
