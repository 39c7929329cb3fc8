import { EmptyRequest } from './schemas/fields';
import {
  AffinityRecord,
  AffinityViewReply,
  EdgeHeartbeatCommand,
  EdgeLeaseReply,
  EdgeLeaveCommand,
  EdgeRegisterCommand,
  ReportCommand,
  RecordQuery,
  ReportReply,
  RouteCommand,
  WeightCommand,
} from './schemas/affinity';
import type { CommandTypes } from './shard-commands';

/**
 * Requests to the affinity service (any instance answers, queue group `affinity`). Membership
 * requests travel on the edge's own subject (`AffinitySubjects.edgeRpc`), whose edge id is the one
 * that counts.
 */
export const AffinityCommandSchemas = {
  register: { request: EdgeRegisterCommand, reply: EdgeLeaseReply },
  heartbeat: { request: EdgeHeartbeatCommand, reply: EdgeLeaseReply },
  leave: { request: EdgeLeaveCommand, reply: EdgeLeaseReply },
  route: { request: RouteCommand, reply: AffinityRecord },
  report: { request: ReportCommand, reply: ReportReply },
  weight: { request: WeightCommand, reply: AffinityRecord },
  view: { request: EmptyRequest, reply: AffinityViewReply },
  record: { request: RecordQuery, reply: AffinityRecord },
} as const;

export type AffinityCommands = CommandTypes<typeof AffinityCommandSchemas>;
