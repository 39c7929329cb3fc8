import { affinitySubjects, type AffinityCommands, type AffinityOp, type AffinitySubjects, type EdgeMembershipOp } from '@foresight/contracts';
import { callRpc } from '@foresight/messaging';
import type { NatsConnection } from 'nats';

/** The gateway's client of the affinity service (any instance answers). */
export class AffinityClient {
  private readonly s: AffinitySubjects;

  constructor(
    private readonly nc: NatsConnection,
    namespace: string,
    private readonly timeoutMs: number,
  ) {
    this.s = affinitySubjects(namespace);
  }

  call<K extends AffinityOp>(op: K, request: AffinityCommands[K]['request'], correlationId?: string): Promise<AffinityCommands[K]['reply']> {
    return callRpc<AffinityCommands[K]['reply']>(this.nc, this.s.affinityRpc(op), op, request, {
      timeoutMs: this.timeoutMs,
      correlationId,
      causationId: correlationId,
    });
  }

  membership<K extends EdgeMembershipOp>(edgeId: string, op: K, request: AffinityCommands[K]['request']): Promise<AffinityCommands[K]['reply']> {
    return callRpc<AffinityCommands[K]['reply']>(this.nc, this.s.edgeRpc(edgeId, op), op, request, { timeoutMs: this.timeoutMs });
  }
}
