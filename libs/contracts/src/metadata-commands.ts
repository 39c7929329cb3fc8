import { EmptyRequest } from './schemas/fields';
import { AssignmentView, HeartbeatCommand, HeartbeatReply, LeaveCommand, LeaveReply, OwnerCommand, OwnerView, RegisterCommand } from './schemas/metadata';
import type { CommandTypes } from './shard-commands';

/**
 * Requests to the metadata service (any instance answers). `register`, `heartbeat` and `leave`
 * are sent on the node's own membership subject (`Subjects.membershipRpc`): the node id is taken from
 * the subject, which only that node's NATS user may publish on, and its RPC subject is derived from
 * it (ADR 0005).
 */
export const MetadataCommandSchemas = {
  register: { request: RegisterCommand, reply: HeartbeatReply },
  /** `appliedVersion`: the assignment version the node serves by; it releases moved shards (handoff). */
  heartbeat: { request: HeartbeatCommand, reply: HeartbeatReply },
  leave: { request: LeaveCommand, reply: LeaveReply },
  assignment: { request: EmptyRequest, reply: AssignmentView },
  owner: { request: OwnerCommand, reply: OwnerView },
} as const;

export type MetadataCommands = CommandTypes<typeof MetadataCommandSchemas>;
