import { Inject, Injectable, Logger, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForesightClient } from '@foresight/client';
import { concatMap, tap, type Observable } from 'rxjs';
import { defaultSessionId, FORESIGHT_OPTIONS, type ForesightModuleOptions, type RequestLike } from './options.js';

export const RECORD_ACTION = 'foresight:record-action';

/**
 * Names the action a handler stands for, recorded for prediction once it succeeds. `{name}` is
 * filled from the route's parameters: `@RecordAction('view_product:{id}')`.
 */
export const RecordAction = (template: string) => SetMetadata(RECORD_ACTION, template);

const ACTION = /^[A-Za-z0-9_.:/-]{1,128}$/;

/** The action of a template for a request, or undefined when it cannot be filled into a valid action name. */
export function actionOf(template: string, params: Readonly<Record<string, string | undefined>> = {}): string | undefined {
  let missing = false;
  const action = template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) missing = true;
    return v ?? '';
  });
  return !missing && ACTION.test(action) ? action : undefined;
}

/**
 * Records the action of a handler marked with `@RecordAction(...)` after it succeeded, so the
 * prediction models learn from it and the session's owner node prefetches what comes next.
 */
@Injectable()
export class ForesightActionInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Foresight');

  constructor(
    private readonly client: ForesightClient,
    private readonly reflector: Reflector,
    @Inject(FORESIGHT_OPTIONS) private readonly options: ForesightModuleOptions,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const template = this.reflector.get<string | undefined>(RECORD_ACTION, ctx.getHandler());
    if (template === undefined || ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<RequestLike>();
    const record = async () => {
      const id = (this.options.sessionId ?? defaultSessionId)(req);
      const action = actionOf(template, req.params);
      if (!id || !action) return;
      try {
        await this.client.recordAction(id, action);
      } catch (error) {
        this.logger.warn(`could not record action ${action}: ${(error as Error).message}`);
      }
    };
    if (!this.options.awaitActions) return next.handle().pipe(tap({ next: () => void record() }));
    return next.handle().pipe(concatMap(async (value: unknown) => (await record(), value)));
  }
}
