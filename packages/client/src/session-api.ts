import type {
  DataGetReply,
  DataPrefetchReply,
  JsonValue,
  LockGrantView,
  LockReleaseReply,
  LockStatusView,
  OwnerView,
  PredictionResult,
  RevokeReply,
  SessionCacheStats,
  SessionView,
  VariableReply,
  VersionReply,
} from './generated/contract.js';
import type { CallOptions } from './transport.js';

export type LockMode = 'shared' | 'exclusive';

/** The session lock calls (`ForesightClient` implements them; `withLock` uses them). */
export interface LockApi {
  acquireLock(id: string, mode: LockMode, options?: { leaseMs?: number; holder?: string }, call?: CallOptions): Promise<LockGrantView>;
  renewLock(id: string, token: string, options?: { leaseMs?: number }, call?: CallOptions): Promise<LockGrantView>;
  releaseLock(id: string, token: string, call?: CallOptions): Promise<LockReleaseReply>;
  lockStatus(id: string, call?: CallOptions): Promise<LockStatusView>;
}

/** The calls a `SessionClient` makes on its client (`ForesightClient` implements them). */
export interface SessionApi {
  getSession(id: string, options?: { groups?: readonly string[] }, call?: CallOptions): Promise<SessionView>;
  getVariable(id: string, group: string, name: string, options?: { consistent?: boolean }, call?: CallOptions): Promise<VariableReply>;
  setVariable(id: string, group: string, name: string, value: JsonValue, options?: { expectedVersion?: number }, call?: CallOptions): Promise<VersionReply>;
  patchVariable(id: string, group: string, name: string, patch: JsonValue, options?: { expectedVersion?: number }, call?: CallOptions): Promise<VariableReply>;
  deleteVariable(id: string, group: string, name: string, call?: CallOptions): Promise<VersionReply>;
  recordAction(id: string, action: string, call?: CallOptions): Promise<VersionReply>;
  getWithPrediction(id: string, key: string, call?: CallOptions): Promise<DataGetReply>;
  prefetch(id: string, action: string, context?: Readonly<Record<string, string | number>>, call?: CallOptions): Promise<DataPrefetchReply>;
  predictions(id: string, n?: number, call?: CallOptions): Promise<PredictionResult>;
  sessionCacheStats(id: string, call?: CallOptions): Promise<SessionCacheStats>;
  getOwner(id: string, call?: CallOptions): Promise<OwnerView>;
  endSession(id: string, call?: CallOptions): Promise<VersionReply>;
  revokeTokens(id: string, call?: CallOptions): Promise<RevokeReply>;
  reportNow(call?: CallOptions): Promise<unknown>;
  close(): void;
}
