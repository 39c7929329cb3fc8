export { ForesightModule, type ForesightModuleAsyncOptions } from './foresight.module.js';
export { FORESIGHT_OPTIONS, defaultSessionId, type ForesightModuleOptions, type RequestLike } from './options.js';
export {
  ForesightSession,
  SessionGroups,
  SessionLoadPipe,
  toHttpException,
  SESSION_GROUPS,
  type ForesightSessionOptions,
  type LoadedSession,
} from './session.decorator.js';
export { ForesightActionInterceptor, RecordAction, actionOf, RECORD_ACTION } from './action.interceptor.js';
export { ForesightClient } from '@foresight/client';
