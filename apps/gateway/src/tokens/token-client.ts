import { tokenSubjects, type TokenCommands, type TokenOp, type TokenSubjects } from '@foresight/contracts';
import { callRpc } from '@foresight/messaging';
import type { NatsConnection } from 'nats';

/** The gateway's client of the token service's request/reply API (any instance answers). */
export class TokenClient {
  private readonly subjects: TokenSubjects;

  constructor(
    private readonly nc: NatsConnection,
    namespace: string,
    private readonly timeoutMs: number,
  ) {
    this.subjects = tokenSubjects(namespace);
  }

  call<K extends TokenOp>(op: K, request: TokenCommands[K]['request'], correlationId?: string): Promise<TokenCommands[K]['reply']> {
    return callRpc<TokenCommands[K]['reply']>(this.nc, this.subjects.tokenRpc(op), op, request, {
      timeoutMs: this.timeoutMs,
      correlationId,
      causationId: correlationId,
    });
  }
}
