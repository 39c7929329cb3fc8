import { Type, type Static } from '@sinclair/typebox';
import { ErrorCodes } from '../errors';

/** Every stable error code, as a schema. */
export const ErrorCodeSchema = Type.Union(
  Object.values(ErrorCodes).map((code) => Type.Literal(code)),
  { description: 'A stable error code, e.g. REQUEST.INVALID; switch on it, not on the message' },
);

/** The body of every HTTP error: `{"error": {code, message, correlationId, details?}}`. */
export const ErrorEnvelope = Type.Object({
  error: Type.Object({
    code: ErrorCodeSchema,
    message: Type.String({ description: 'A sentence a person can act on' }),
    correlationId: Type.String({ description: 'The request id; quote it when reporting a problem' }),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Machine-readable facts, e.g. {"path": "/value"} for REQUEST.INVALID' })),
  }),
});

export type ErrorEnvelope = Static<typeof ErrorEnvelope>;
