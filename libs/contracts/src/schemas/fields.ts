import { FormatRegistry, Type, type StringOptions, type TString } from '@sinclair/typebox';
import { Limits } from '../limits';
import { isStorableText, isWellFormedText } from '../text';

/**
 * String rules defined once, as JSON Schema formats: `storable-text` (a Postgres text column can
 * hold it: no NUL, no unpaired UTF-16 surrogate) and `well-formed-text` (has a UTF-8 form).
 */
export const Formats = { storableText: 'storable-text', wellFormedText: 'well-formed-text' } as const;
FormatRegistry.Set(Formats.storableText, isStorableText);
FormatRegistry.Set(Formats.wellFormedText, isWellFormedText);

/**
 * The sentence a client gets when a value fails a schema, completing `"<field>" must be …`. Schemas
 * without one get a sentence built from their constraints.
 */
export const ERROR_MESSAGE = 'x-error-message';

/** Schema options plus the {@link ERROR_MESSAGE} sentence. */
export type WithMessage<T> = T & { [ERROR_MESSAGE]?: string };

/** A non-empty string a Postgres text column can hold (user ids and the like). */
export function StorableText(maxLength: number, options: StringOptions = {}): TString {
  return Type.String({ minLength: 1, maxLength, format: Formats.storableText, ...options });
}

/** Session ids on the wire: issued ids are 32 base64url characters; whether one was issued is the domain's check. */
export const SESSION_ID_PATTERN = '^[A-Za-z0-9_-]+$';
export const SessionIdString = Type.String({
  minLength: 1,
  maxLength: Limits.sessionIdLength,
  pattern: SESSION_ID_PATTERN,
  description: 'A session id as issued by POST /v1/sessions (32 base64url characters)',
  [ERROR_MESSAGE]: `a session id: 1–${Limits.sessionIdLength} characters of A–Z a–z 0–9 _ -`,
});

/** Action names: short, printable, usable as Markov symbols and in data-requirement patterns. */
export const ACTION_PATTERN = '^[A-Za-z0-9_.:/-]{1,128}$';
export const ActionName = Type.String({
  pattern: ACTION_PATTERN,
  description: 'What the user did: 1–128 characters from letters, digits and _ . : / -',
  example: 'view_product:42',
  [ERROR_MESSAGE]: '1–128 characters from letters, digits and _ . : / -',
});

/** Data keys of the predictive cache: visible ASCII without space or `*`. */
export const DATA_KEY_PATTERN = '^[\\x21-\\x29\\x2b-\\x7e]+$';
export const DataKey = Type.String({
  minLength: 1,
  maxLength: Limits.dataKeyLength,
  pattern: DATA_KEY_PATTERN,
  description: `A data key: 1–${Limits.dataKeyLength} visible ASCII characters without spaces or "*"`,
  example: 'product:42',
  [ERROR_MESSAGE]: `a data key: 1–${Limits.dataKeyLength} visible ASCII characters without spaces or "*"`,
});

/** State group names (the configured groups are the domain's check). */
export const GroupName = StorableText(Limits.groupNameLength, { description: 'A state group configured on the cluster (SESSION_GROUPS), e.g. cart' });
/** User ids: a Postgres text column holds them. */
export const UserId = StorableText(Limits.userIdLength, { description: 'Your user id, for per-user behaviour profiles' });

/** Variable names (their character set is the domain's check). */
export const VariableName = StorableText(Limits.variableNameLength, { description: 'A variable name: 1–128 characters from A–Z a–z 0–9 _ . : -' });

/** Optimistic concurrency: write only if the session is at this version. */
export const ExpectedVersion = Type.Integer({ minimum: 1, description: 'Write only if the session is at this version (optimistic concurrency)' });

/** A token family id. */
export const FamilyId = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  [ERROR_MESSAGE]: 'a token family id (UUID)',
});

/** A generation of a token family: 0 at sign-in, +1 per rotation. */
export const Generation = Type.Integer({ minimum: 0, description: 'Generation of the token family (0 at sign-in, +1 per rotation)' });

/** ISO-8601 instants in replies. */
FormatRegistry.Set('date-time', (v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)));
export const Instant = Type.String({ format: 'date-time' });

/** An empty request (no fields are read). */
export const EmptyRequest = Type.Object({});
