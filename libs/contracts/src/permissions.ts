import { AFFINITY_OPS, EDGE_MEMBERSHIP_OPS, affinitySubjects } from './affinity-subjects';
import { cacheSubjects } from './cache-subjects';
import { predictionSubjects } from './prediction-subjects';
import { streamDeclarations } from './streams';
import { MEMBERSHIP_OPS, subjects } from './subjects';
import { TOKEN_ACTIVITY_DURABLE, TOKEN_OPS, tokenSubjects } from './token-subjects';

/**
 * Who may publish and subscribe to what on NATS: one table for every role, as functions of the
 * namespace (and of the node id for a shard node). The local stack, the test stacks and
 * `deploy/nats/accounts.conf` are generated from it (ADR 0005). A service that needs a new subject
 * gets it here, next to the subject's definition.
 */
export type NatsRole = 'gateway' | 'metadata' | 'shard' | 'prediction' | 'token' | 'affinity' | 'origin' | 'subscriber' | 'operator';

export const NATS_ROLES: readonly NatsRole[] = ['gateway', 'metadata', 'shard', 'prediction', 'token', 'affinity', 'origin', 'subscriber', 'operator'];

export interface NatsPermissions {
  /** Subjects the user may publish to (requests included). Empty: nothing. */
  readonly publish: readonly string[];
  /** Subjects the user may subscribe to. Empty: nothing. */
  readonly subscribe: readonly string[];
  /** May answer the requests it receives (publish once to their reply subjects). */
  readonly allowResponses: boolean;
}

/** One NATS user: a role, and for a shard node the node id its credentials are bound to. */
export interface NatsIdentity {
  readonly role: NatsRole;
  readonly nodeId?: string;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The user name of a role: the role itself, `node-<nodeId>` for a shard node. */
export function natsUserName(identity: NatsIdentity): string {
  if (identity.role !== 'shard') return identity.role;
  if (!identity.nodeId || !NAME.test(identity.nodeId))
    throw new Error(`a shard node user needs a node id of letters, digits, "_" and "-" (got "${identity.nodeId}")`);
  return `node-${identity.nodeId}`;
}

/**
 * Reply subjects of a user's own requests: `_INBOX.<user>`. Each user may subscribe only to its own
 * inbox, so no service reads the replies sent to another (session data, token pairs).
 */
export function inboxPrefix(user: string): string {
  if (!NAME.test(user)) throw new Error(`a NATS user name must be letters, digits, "_" and "-" (got "${user}")`);
  return `_INBOX.${user}`;
}

/** The JetStream API subjects a role may call, stream by stream (nats-server 2.9 names). */
const js = {
  info: '$JS.API.INFO',
  streamNames: '$JS.API.STREAM.NAMES',
  streamInfo: (stream: string) => `$JS.API.STREAM.INFO.${stream}`,
  streamCreate: (stream: string) => `$JS.API.STREAM.CREATE.${stream}`,
  streamUpdate: (stream: string) => `$JS.API.STREAM.UPDATE.${stream}`,
  messageGet: (stream: string) => `$JS.API.STREAM.MSG.GET.${stream}`,
  /** A named consumer with this filter (`$JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>`); no filter: an empty one. */
  consumerCreate: (stream: string, name: string, filter: string) => `$JS.API.CONSUMER.CREATE.${stream}.${name}${filter ? `.${filter}` : ''}`,
  /** An unnamed (server-named, ephemeral) consumer with any filter. */
  ephemeralCreate: (stream: string) => `$JS.API.CONSUMER.CREATE.${stream}`,
  consumerInfo: (stream: string, name: string) => `$JS.API.CONSUMER.INFO.${stream}.${name}`,
  consumerNext: (stream: string, name: string) => `$JS.API.CONSUMER.MSG.NEXT.${stream}.${name}`,
  consumerDelete: (stream: string, name: string) => `$JS.API.CONSUMER.DELETE.${stream}.${name}`,
  ack: (stream: string, name: string) => `$JS.ACK.${stream}.${name}.>`,
};

/** Reading a stream through a consumer named `name` (`*`: any name) filtered on `filter`. */
function readStream(stream: string, name: string, filter: string): string[] {
  return [js.streamInfo(stream), js.consumerCreate(stream, name, filter), js.consumerInfo(stream, name), js.consumerNext(stream, name), js.ack(stream, name)];
}

/** What one user may do. `user` names its inbox; `nodeId` is required for a shard node. */
export function natsPermissions(namespace: string, identity: NatsIdentity): NatsPermissions {
  const user = natsUserName(identity);
  const s = subjects(namespace);
  const c = cacheSubjects(namespace);
  const p = predictionSubjects(namespace);
  const t = tokenSubjects(namespace);
  const a = affinitySubjects(namespace);
  const streams = streamDeclarations(namespace);
  const inbox = `${inboxPrefix(user)}.>`;
  const modelUpdated = p.predictionEvent('prediction.model_updated');
  const originRequests = `${namespace}.origin.>`;
  switch (identity.role) {
    case 'gateway':
      return {
        publish: [
          s.shardRpc('*'),
          s.metadataRpc('assignment'),
          s.metadataRpc('owner'),
          c.requirementsRpc,
          c.invalidate,
          p.predictionRpc('predict'),
          ...TOKEN_OPS.map((op) => t.tokenRpc(op)),
          js.info,
          // The revocation cache: an ordered consumer of token.revoked, and the last one at start.
          js.streamInfo(streams.tokens.name),
          js.messageGet(streams.tokens.name),
          js.consumerCreate(streams.tokens.name, '*', t.tokenEvent('token.revoked')),
          js.consumerInfo(streams.tokens.name, '*'),
          js.consumerNext(streams.tokens.name, '*'),
          // An ordered consumer deletes its previous incarnation when it resets.
          js.consumerDelete(streams.tokens.name, '*'),
          s.writeLimitUsage,
          s.nodeHealth,
          // Edge membership (every gateway instance is an edge) and the affinity service's routing.
          ...EDGE_MEMBERSHIP_OPS.map((op) => a.edgeRpcWildcard(op)),
          ...AFFINITY_OPS.map((op) => a.affinityRpc(op)),
        ],
        subscribe: [inbox, s.assignmentChanged, s.sessionEventsWildcard, `${namespace}.notice.token.*`, s.writeLimitUsage, a.affinityEventsWildcard],
        allowResponses: false,
      };
    case 'metadata':
      return {
        publish: [
          s.clusterEventsWildcard,
          s.assignmentChanged,
          // The failure detector's probe (`node.ping`) goes to the subject a node serves on.
          s.shardRpc('*'),
          js.info,
          ...Object.values(streams).flatMap((d) => [js.streamInfo(d.name), js.streamCreate(d.name), js.streamUpdate(d.name)]),
        ],
        subscribe: [inbox, `${namespace}.rpc.metadata.>`, s.nodeHealth],
        allowResponses: true,
      };
    case 'shard': {
      const nodeId = identity.nodeId!;
      return {
        publish: [
          ...MEMBERSHIP_OPS.map((op) => s.membershipRpc(nodeId, op)),
          s.metadataRpc('assignment'),
          s.sessionEventsWildcard,
          c.requirementsChanged,
          p.predictionRpc('model'),
          originRequests,
          js.info,
          js.streamInfo(streams.sessions.name),
          // Committed events pushed to the secondary of its shards, whichever node that is.
          s.replicaWildcard,
          // Transfer proposals to the new owner of a shard it gives up, signed by its own id.
          s.transferOutbox(nodeId),
        ],
        subscribe: [
          inbox,
          s.shardRpc(nodeId),
          c.requirementsRpc,
          c.requirementsChanged,
          c.invalidate,
          s.assignmentChanged,
          modelUpdated,
          // Only the copies pushed to this node.
          s.replica(nodeId),
          // Only the transfer proposals sent to this node.
          s.transferInbox(nodeId),
        ],
        allowResponses: true,
      };
    }
    case 'prediction':
      return {
        publish: [
          p.predictionEventsWildcard,
          // Dead letters of its consumer (named after the instance's node id).
          `${namespace}.dlq.*`,
          js.info,
          js.streamInfo(streams.prediction.name),
          ...readStream(streams.sessions.name, '*', p.actionRecorded),
        ],
        subscribe: [inbox, p.predictionRpc('predict'), p.predictionRpc('model'), modelUpdated],
        allowResponses: true,
      };
    case 'token':
      return {
        publish: [
          t.tokenEventsWildcard,
          `${namespace}.notice.token.*`,
          s.deadLetter(TOKEN_ACTIVITY_DURABLE),
          js.info,
          js.streamInfo(streams.tokens.name),
          ...readStream(streams.sessions.name, TOKEN_ACTIVITY_DURABLE, s.sessionEventsWildcard),
        ],
        // One subscription for every operation; the service checks that the operation matches the subject.
        subscribe: [inbox, t.tokenRpcWildcard],
        allowResponses: true,
      };
    case 'affinity':
      // Answers edges and gateways, publishes affinity events on its stream.
      return {
        publish: [a.affinityEventsWildcard, js.info, js.streamInfo(streams.affinity.name)],
        subscribe: [inbox, `${namespace}.rpc.affinity.>`],
        allowResponses: true,
      };
    case 'origin':
      // A data origin on NATS (e.g. apps/origin-example): answers `<ns>.origin.…` and may announce changed keys.
      return { publish: [c.invalidate], subscribe: [originRequests], allowResponses: true };
    case 'operator':
      // A person with the `nats` tool: streams and consumers (list, purge, delete), dead letters, anything
      // in the account. No service connects as it; keep its password with the other operator secrets.
      return { publish: ['>'], subscribe: ['>'], allowResponses: true };
    case 'subscriber':
      // Back ends reading the event streams: consumers and acks only, no publication, no deletion.
      return {
        publish: [
          js.info,
          js.streamNames,
          ...Object.values(streams).flatMap((d) => [js.ephemeralCreate(d.name), js.consumerCreate(d.name, '*', ''), ...readStream(d.name, '*', '>')]),
        ],
        // Dead letters too: operators watch them, and they carry only what the streams carried.
        subscribe: [inbox, `${namespace}.evt.>`, s.deadLetterWildcard],
        allowResponses: false,
      };
  }
}
