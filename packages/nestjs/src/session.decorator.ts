import { createParamDecorator, HttpException, Inject, Injectable, SetMetadata, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { ForesightClient, ForesightError, type SessionClient, type SessionView } from '@foresight/client';
import { defaultSessionId, FORESIGHT_OPTIONS, type ForesightModuleOptions, type RequestLike } from './options.js';

export const SESSION_GROUPS = 'foresight:session-groups';

/** Declares the state groups a handler's `@ForesightSession()` loads (the decorator's own `groups` win). */
export const SessionGroups = (...groups: string[]) => SetMetadata(SESSION_GROUPS, groups);

export interface ForesightSessionOptions {
  /** Only these groups are read (default: the handler's `@SessionGroups`, else all). */
  readonly groups?: readonly string[];
  /** Resolve to undefined instead of answering 404 when the request has no (live) session. */
  readonly optional?: boolean;
}

/** What `@ForesightSession()` gives a handler. */
export interface LoadedSession {
  readonly id: string;
  /** The session as read, with only the declared groups. */
  readonly view: SessionView;
  /** Calls on the session (set, recordAction, getWithPrediction…). */
  readonly client: SessionClient;
}

interface SessionRequest {
  readonly id: string | undefined;
  readonly groups: readonly string[] | undefined;
  readonly optional: boolean;
  readonly req: RequestLike;
}

/** Loads the session a parameter asks for, with the module's client. */
@Injectable()
export class SessionLoadPipe implements PipeTransform<SessionRequest, Promise<LoadedSession | undefined>> {
  constructor(
    private readonly client: ForesightClient,
    @Inject(FORESIGHT_OPTIONS) private readonly options: ForesightModuleOptions,
  ) {}

  async transform(request: SessionRequest): Promise<LoadedSession | undefined> {
    const id = request.id ?? (this.options.sessionId ?? defaultSessionId)(request.req);
    if (!id) return this.absent(request, 'The request carries no Foresight session id.');
    try {
      const view = await this.client.getSession(id, request.groups ? { groups: request.groups } : {});
      if (view.status !== 'active') return this.absent(request, 'The session has ended.');
      return { id, view, client: this.client.session(id) };
    } catch (error) {
      if (error instanceof ForesightError && (error.code === 'SESSION.NOT_FOUND' || error.code === 'SESSION.ENDED')) return this.absent(request, error.message);
      throw toHttpException(error);
    }
  }

  private absent(request: SessionRequest, message: string): undefined {
    if (request.optional) return undefined;
    throw new HttpException({ error: { code: 'SESSION.NOT_FOUND', message } }, 404);
  }
}

/** A client error as the HTTP answer of the app: the gateway's status and code, or 503 when it could not be reached. */
export function toHttpException(error: unknown): unknown {
  if (!(error instanceof ForesightError)) return error;
  return new HttpException({ error: { code: error.code, message: error.message } }, error.status && error.status >= 400 ? error.status : 503, { cause: error });
}

/**
 * Injects the request's Foresight session, read with only the groups the handler declares:
 * `@ForesightSession({ groups: ['cart'] }) session: LoadedSession`.
 */
export const ForesightSession = (options: ForesightSessionOptions = {}): ParameterDecorator =>
  createParamDecorator((data: ForesightSessionOptions, ctx: ExecutionContext): SessionRequest => {
    const req = ctx.switchToHttp().getRequest<RequestLike>();
    const declared = Reflect.getMetadata(SESSION_GROUPS, ctx.getHandler()) as readonly string[] | undefined;
    return { id: undefined, groups: data.groups ?? declared, optional: data.optional ?? false, req };
  })(options, SessionLoadPipe);
