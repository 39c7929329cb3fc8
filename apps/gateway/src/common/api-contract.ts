import type { TSchema } from '@sinclair/typebox';
import { ErrorCodes, type ErrorCode } from '@foresight/contracts';

/** What a route accepts and answers, from `@foresight/contracts`; the OpenAPI document is built from these. */
export interface RouteContract {
  /** The request body's schema (routes without a body: none). */
  readonly body?: TSchema;
  /** The success body's schema. */
  readonly response: TSchema;
  /** Codes this route itself can answer besides those every route can ({@link COMMON_ERRORS}). */
  readonly errors?: readonly ErrorCode[];
}

/** Codes any route can answer: a bad URL or body, a server fault, a dependency that did not answer. */
export const COMMON_ERRORS: readonly ErrorCode[] = [ErrorCodes.VALIDATION, ErrorCodes.INTERNAL, ErrorCodes.UNAVAILABLE, ErrorCodes.TIMEOUT];

/** Codes of a route with a JSON body. */
export const BODY_ERRORS: readonly ErrorCode[] = [ErrorCodes.PAYLOAD_TOO_LARGE, ErrorCodes.UNSUPPORTED_MEDIA_TYPE];

/** Codes of a route behind the API key (403: the key lacks the scope, or a tenant's key reaches another tenant's session). */
export const API_KEY_ERRORS: readonly ErrorCode[] = [ErrorCodes.UNAUTHENTICATED, ErrorCodes.FORBIDDEN];

/** Codes of a route under `/v1/sessions/:id` (API key or the session's bearer token). */
export const SESSION_AUTH_ERRORS: readonly ErrorCode[] = [
  ErrorCodes.UNAUTHENTICATED,
  ErrorCodes.FORBIDDEN,
  ErrorCodes.TOKEN_EXPIRED,
  ErrorCodes.TOKEN_MALFORMED,
  ErrorCodes.TOKEN_BAD_SIGNATURE,
  ErrorCodes.TOKEN_UNSUPPORTED_ALG,
  ErrorCodes.TOKEN_UNKNOWN_KEY,
  ErrorCodes.TOKEN_REVOKED,
  ErrorCodes.TOKEN_CLAIM_MISMATCH,
];

/** Codes of a route the session's owner node answers. */
export const OWNER_ERRORS: readonly ErrorCode[] = [ErrorCodes.SESSION_NOT_FOUND, ErrorCodes.SESSION_ENDED, ErrorCodes.NO_OWNER, ErrorCodes.NOT_OWNER];

/** Contracts by operation id (`<Controller>_<method>`, as @nestjs/swagger names operations). */
export const ROUTE_CONTRACTS = new Map<string, RouteContract>();

/**
 * Declares a route's contract. Documentation only: the handler validates with the same schema
 * (`Validator.parse`), and a unit test checks the document against the contracts.
 */
export function ApiContract(contract: RouteContract): MethodDecorator {
  return (target, key) => {
    ROUTE_CONTRACTS.set(`${(target as { constructor: { name: string } }).constructor.name}_${String(key)}`, contract);
  };
}
