import type { JsonValue, SessionView } from '@foresight/client';

/** Fields whose names are not variable names travel together in this variable of the default group. */
export const EXTRA = '__extra';

const VARIABLE_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/** How a session's top-level fields map to Foresight's state groups. */
export interface FieldMapping {
  /** Field → group; fields not listed go to `defaultGroup`. */
  readonly groups: Readonly<Record<string, string>>;
  /** Where unlisted fields, express-session's `cookie` and the odd-named fields go (default `app`). */
  readonly defaultGroup: string;
}

export interface Variable {
  readonly group: string;
  readonly name: string;
  readonly value: JsonValue;
  /** What a save compares to tell whether the variable changed (see {@link comparable}). */
  readonly json: string;
}

/**
 * The JSON a save compares. express-session moves the cookie's `expires` forward on every request
 * (`touch`); the cluster's idle timeout, not that field, keeps the session alive, so a cookie whose
 * only change is `expires` is not written again.
 */
export function comparable(name: string, value: JsonValue): string {
  if (name === 'cookie' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { expires: _expires, ...rest } = value;
    return JSON.stringify(rest);
  }
  return JSON.stringify(value);
}

export const variableKey = (group: string, name: string) => `${group}/${name}`;

export function groupOf(mapping: FieldMapping, field: string): string {
  return Object.prototype.hasOwnProperty.call(mapping.groups, field) ? mapping.groups[field]! : mapping.defaultGroup;
}

/**
 * A session as express-session hands it over (its JSON: the cookie's `toJSON`, no methods) as one
 * variable per top-level field.
 */
export function toVariables(mapping: FieldMapping, session: object): Map<string, Variable> {
  const plain = JSON.parse(JSON.stringify(session)) as Record<string, JsonValue>;
  const out = new Map<string, Variable>();
  const extra: Record<string, JsonValue> = {};
  let extras = 0;
  for (const [field, value] of Object.entries(plain)) {
    if (VARIABLE_NAME.test(field) && field !== EXTRA) {
      const group = groupOf(mapping, field);
      out.set(variableKey(group, field), { group, name: field, value, json: comparable(field, value) });
    } else {
      extra[field] = value;
      extras++;
    }
  }
  if (extras > 0) out.set(variableKey(mapping.defaultGroup, EXTRA), { group: mapping.defaultGroup, name: EXTRA, value: extra, json: JSON.stringify(extra) });
  return out;
}

/** The variables of a read session, as `{key → JSON}` (the snapshot `set` compares with). */
export function variablesOf(view: SessionView): Map<string, string> {
  const out = new Map<string, string>();
  for (const [group, vars] of Object.entries(view.groups))
    for (const [name, value] of Object.entries(vars)) out.set(variableKey(group, name), comparable(name, value));
  return out;
}

// Defined, not assigned: a field named "__proto__" is data, never the object's prototype.
const put = (out: Record<string, unknown>, name: string, value: unknown) =>
  Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });

/** The session object express-session expects back from `get`. */
export function sessionOf(view: SessionView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const vars of Object.values(view.groups)) {
    for (const [name, value] of Object.entries(vars)) {
      if (name === EXTRA && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const [field, v] of Object.entries(value)) put(out, field, v);
      } else put(out, name, value);
    }
  }
  return out;
}
