import { ErrorCodes, ForesightError, subjects, type AssignmentView, type HeartbeatReply, type OwnerView } from '@foresight/contracts';
import { callRpc } from '@foresight/messaging';
import { createTestDatabase, eventually, testInfra, uniqueName } from '@foresight/testing';
import { connect, type NatsConnection } from 'nats';
import { startMetadata, type TestMetadata } from './metadata-harness';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ForesightError) return error.code;
    throw error;
  }
  return 'answered';
}

/** The metadata service as its composition root builds it, without the HTTP app: membership and ownership over NATS. */
describe('metadata runtime without Nest: membership from the subject, assignment, owner', () => {
  let nc: NatsConnection;
  let meta: TestMetadata;
  const namespace = uniqueName('metart');
  const s = subjects(namespace);
  const call = <T>(subject: string, op: string, body: unknown) => callRpc<T>(nc, subject, op, body, { timeoutMs: 10_000 });

  beforeAll(async () => {
    const url = await createTestDatabase('metart');
    nc = await connect({ servers: testInfra().natsUrl });
    // Fake nodes here answer no probe: the failure detector has its own test.
    meta = await startMetadata(nc, { DATABASE_URL: url, FORESIGHT_NAMESPACE: namespace, SHARD_COUNT: '8', FAILURE_PROBE_MS: '0' }, 'metadata-runtime-test');
  }, 60_000);

  afterAll(async () => {
    await meta.stop();
    await nc.drain();
  });

  it('declares the streams and registers a node under the id of its subject, never the one in the body', async () => {
    const jsm = await nc.jetstreamManager();
    await expect(jsm.streams.info(s.sessionStream)).resolves.toBeDefined();
    const reply = await call<HeartbeatReply>(s.membershipRpc('node-1', 'register'), 'register', { incarnation: 'i1', nodeId: 'someone-else' });
    expect(reply.status).toBe('active');
    const view = await eventually(
      async () => {
        const v = await call<AssignmentView>(s.metadataRpc('assignment'), 'assignment', {});
        return v.shards.every((shard) => shard.nodeId === 'node-1') ? v : undefined;
      },
      10_000,
      'every shard on node-1',
    );
    expect(view.shardCount).toBe(8);
    expect(view.nodes).toEqual([{ nodeId: 'node-1', status: 'active', rpcSubject: s.shardRpc('node-1') }]);
    const owner = await call<OwnerView>(s.metadataRpc('owner'), 'owner', { sessionId: 'some-session' });
    expect(owner).toMatchObject({ sessionId: 'some-session', nodeId: 'node-1' });
  }, 30_000);

  it('answers each operation on its own subject only, and checks bodies against the schemas', async () => {
    expect(await codeOf(call(s.membershipRpc('node-1', 'heartbeat'), 'register', { incarnation: 'i1' }))).toBe(ErrorCodes.UNKNOWN_OPERATION);
    expect(await codeOf(call(s.metadataRpc('owner'), 'assignment', {}))).toBe(ErrorCodes.UNKNOWN_OPERATION);
    expect(await codeOf(call(s.membershipRpc('node-1', 'heartbeat'), 'heartbeat', { incarnation: '' }))).toBe(ErrorCodes.VALIDATION);
    expect(await codeOf(call(s.metadataRpc('owner'), 'owner', {}))).toBe(ErrorCodes.VALIDATION);
    await expect(call<HeartbeatReply>(s.membershipRpc('node-1', 'heartbeat'), 'heartbeat', { incarnation: 'i1', appliedVersion: 0 })).resolves.toMatchObject({
      status: 'active',
    });
    expect(await codeOf(call(s.membershipRpc('node-1', 'register'), 'register', { incarnation: 'i2' }))).toBe(ErrorCodes.NODE_INCARNATION_CONFLICT);
  });

  it('lets a node leave, and stops taking requests on stop()', async () => {
    await expect(call(s.membershipRpc('node-1', 'leave'), 'leave', { incarnation: 'i1' })).resolves.toEqual({ ok: true });
    const view = await call<AssignmentView>(s.metadataRpc('assignment'), 'assignment', {});
    expect(view.nodes[0]?.status).toBe('left');
    await meta.runtime.stop();
    expect(await codeOf(call(s.metadataRpc('assignment'), 'assignment', {}))).toBe(ErrorCodes.UNAVAILABLE);
  });
});
