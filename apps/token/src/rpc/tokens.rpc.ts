import { Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { ForesightConfig } from '@foresight/config';
import {
  ErrorCodes,
  ForesightError,
  requestValidators,
  TokenCommandSchemas,
  tokenSubjects,
  type TokenCommands,
  type TokenOp,
  type TokenSubjects,
} from '@foresight/contracts';
import type { RpcMeta } from '@foresight/messaging';
import { CONFIG, RpcContext, RpcController, RpcOp, type RpcEndpoint } from '@foresight/platform';
import { TokensService } from '../families/tokens.service';
import { SigningKeys } from '../keys/signing-keys';
import { LiveSessions } from '../sessions/live-sessions';
import { TokenStats } from './token-stats';

type Reply<K extends TokenOp> = Promise<TokenCommands[K]['reply']>;

/** Every token command's request schema, compiled once. */
const requests = requestValidators(TokenCommandSchemas);

const ctxOf = (m: RpcMeta) => ({ correlationId: m.correlationId, causationId: m.causationId || m.correlationId });

/** `<ns>.rpc.token.<op>` in queue group `token`: any instance answers any request. */
export function tokenEndpoints(namespace: string): Record<'token', RpcEndpoint> {
  return { token: { subject: tokenSubjects(namespace).tokenRpcWildcard, queue: 'token' } };
}

/**
 * The token service's request/reply API on `<ns>.rpc.token.<op>` (op also in `Fs-Op`, and it must
 * match the subject: NATS permissions are granted per subject). `issue` mints only for a live
 * session the cluster issued.
 */
@RpcController()
export class TokenRpcController {
  private readonly s: TokenSubjects;

  constructor(
    private readonly tokens: TokensService,
    private readonly keys: SigningKeys,
    private readonly sessions: LiveSessions,
    private readonly stats: TokenStats,
    @Inject(CONFIG) config: ForesightConfig,
  ) {
    this.s = tokenSubjects(config.nats.namespace);
  }

  @RpcOp('token', 'issue')
  async issue(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'issue'> {
    this.onItsSubject('issue', ctx.meta);
    const { sessionId, userId } = requests.issue.parse(raw);
    await this.sessions.assertMintable(sessionId, userId);
    return this.tokens.issue(sessionId, userId, ctxOf(ctx.meta));
  }

  @RpcOp('token', 'refresh')
  async refresh(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'refresh'> {
    this.onItsSubject('refresh', ctx.meta);
    return this.tokens.refresh(requests.refresh.parse(raw).refreshToken, ctxOf(ctx.meta));
  }

  @RpcOp('token', 'revoke')
  async revoke(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'revoke'> {
    this.onItsSubject('revoke', ctx.meta);
    const r = requests.revoke.parse(raw);
    return { revoked: await this.tokens.revoke(r.sessionId, r.familyId, r.reason, ctxOf(ctx.meta)) };
  }

  @RpcOp('token', 'jwks')
  async jwks(@Ctx() ctx: RpcContext): Reply<'jwks'> {
    this.onItsSubject('jwks', ctx.meta);
    return this.keys.jwks();
  }

  @RpcOp('token', 'pending')
  async pending(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'pending'> {
    this.onItsSubject('pending', ctx.meta);
    const r = requests.pending.parse(raw);
    return { pair: await this.tokens.pending(r.sessionId, r.familyId, r.haveGeneration) };
  }

  @RpcOp('token', 'ack')
  async ack(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'ack'> {
    this.onItsSubject('ack', ctx.meta);
    const r = requests.ack.parse(raw);
    return { acknowledged: await this.tokens.ack(r.sessionId, r.familyId, r.generation) };
  }

  @RpcOp('token', 'renew')
  async renew(@Payload() raw: unknown, @Ctx() ctx: RpcContext): Reply<'renew'> {
    this.onItsSubject('renew', ctx.meta);
    const r = requests.renew.parse(raw);
    return { renewed: await this.tokens.renewOnUse(r.sessionId, r.familyId, r.generation, ctxOf(ctx.meta)) };
  }

  @RpcOp('token', 'stats')
  statsOp(@Payload() raw: unknown, @Ctx() ctx: RpcContext): TokenCommands['stats']['reply'] {
    this.onItsSubject('stats', ctx.meta);
    requests.stats.parse(raw);
    return this.stats.read();
  }

  /** An op is served on its own subject only: a request for `issue` on the `jwks` subject is refused. */
  private onItsSubject(op: TokenOp, meta: RpcMeta): void {
    if (meta.subject !== this.s.tokenRpc(op))
      throw new ForesightError(ErrorCodes.UNKNOWN_OPERATION, `Operation "${op}" is served on ${this.s.tokenRpc(op)} only.`);
  }
}
