import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AcquireLockBody, ErrorCodes, LockGrantView, LockReleaseReply, LockStatusView, ReleaseLockBody, RenewLockBody, Validator } from '@foresight/contracts';
import type { FastifyRequest } from 'fastify';
import { ApiContract, BODY_ERRORS, OWNER_ERRORS, SESSION_AUTH_ERRORS } from '../common/api-contract';
import { callContext } from '../routing/call-context';
import { ShardClient } from '../routing/shard-client.service';
import { VariablesService } from '../sessions/variables.service';
import { SessionAuthGuard } from '../tokens/session-auth.guard';
import { LockRenewals } from './lock-renewals';

const acquireBodies = new Validator(AcquireLockBody, 'The request body');
const renewBodies = new Validator(RenewLockBody, 'The request body');
const releaseBodies = new Validator(ReleaseLockBody, 'The request body');

const LOCK_ERRORS = [ErrorCodes.LOCK_NOT_HOLDER, ErrorCodes.LOCK_EXPIRED];

/**
 * Session locks: acquired, renewed and released through the session's owner node, which decides.
 * Renewals are batched per owner node (see {@link LockRenewals}).
 */
@ApiTags('locks')
@ApiSecurity('apiKey')
@ApiBearerAuth('bearer')
@UseGuards(SessionAuthGuard)
@Controller('v1/sessions/:id/locks')
export class LocksController {
  constructor(
    private readonly shards: ShardClient,
    private readonly variables: VariablesService,
    private readonly renewals: LockRenewals,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Lock a session (shared or exclusive) for a lease',
    description:
      'Returns the lock token. While an exclusive lock is held, every write to the session must carry its token in the lock-token header; ' +
      'while shared locks are held nobody writes. Renew before expiresAt, release when done. 423 LOCK.HELD when the mode cannot be granted now.',
  })
  @ApiContract({ body: AcquireLockBody, response: LockGrantView, errors: [...SESSION_AUTH_ERRORS, ...OWNER_ERRORS, ...BODY_ERRORS, ErrorCodes.LOCK_HELD] })
  async acquire(@Param('id') id: string, @Body() raw: unknown, @Req() req: FastifyRequest) {
    const body = acquireBodies.parse(raw);
    const lock = await this.shards.call(this.variables.checkId(id), 'lock.acquire', { sessionId: id, ...body }, callContext(req));
    // This gateway keeps the lease renewed with the owner while the client renews here.
    this.renewals.hold(lock, lock.leaseMs);
    return lock;
  }

  @Post('renew')
  @HttpCode(200)
  @ApiOperation({
    summary: "Extend a lock's lease",
    description:
      "Renew every third of the lease. The gateway keeps the lease renewed with the owner node (in one batch per node with its other clients' leases) " +
      'while the client keeps renewing; expiresAt is what the owner granted.',
  })
  @ApiContract({ body: RenewLockBody, response: LockGrantView, errors: [...SESSION_AUTH_ERRORS, ...OWNER_ERRORS, ...BODY_ERRORS, ...LOCK_ERRORS] })
  async renew(@Param('id') id: string, @Body() raw: unknown) {
    const body = renewBodies.parse(raw);
    return this.renewals.renew({ sessionId: this.variables.checkId(id), ...body });
  }

  @Post('release')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give a lock back (releasing an expired or already released lock answers released: false)' })
  @ApiContract({
    body: ReleaseLockBody,
    response: LockReleaseReply,
    errors: [...SESSION_AUTH_ERRORS, ...OWNER_ERRORS, ...BODY_ERRORS, ErrorCodes.LOCK_NOT_HOLDER],
  })
  async release(@Param('id') id: string, @Body() raw: unknown, @Req() req: FastifyRequest) {
    const body = releaseBodies.parse(raw);
    this.renewals.forget(id, body.token);
    return this.shards.call(this.variables.checkId(id), 'lock.release', { sessionId: id, ...body }, callContext(req));
  }

  @Get()
  @ApiOperation({ summary: "The session's lock state and its holders' labels and expiries (never the tokens)" })
  @ApiContract({ response: LockStatusView, errors: [...SESSION_AUTH_ERRORS, ...OWNER_ERRORS] })
  async status(@Param('id') id: string, @Req() req: FastifyRequest) {
    return this.shards.call(this.variables.checkId(id), 'lock.status', { sessionId: id }, callContext(req));
  }
}
