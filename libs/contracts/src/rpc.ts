import type { ErrorBody } from './errors';

/** Reply to every request/reply call: a result or a stable error. */
export type RpcReply<T> = { readonly ok: true; readonly result: T } | { readonly ok: false; readonly error: ErrorBody };
