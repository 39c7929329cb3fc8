import { TooLargeError, ValidationError } from './errors.js';
import type { ContractInfo, JsonValue } from './generated/contract.js';

export type Limits = ContractInfo['limits'];

const encoder = new TextEncoder();

/** Bytes of a value's JSON in UTF-8: what the cluster counts against its limits. */
export function jsonBytes(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).length;
}

/** The gateway's variable name rule (the client refuses others without a round trip). */
const VARIABLE_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

export function checkVariableName(name: string): void {
  if (!VARIABLE_NAME.test(name)) {
    throw new ValidationError({
      code: 'REQUEST.INVALID',
      message: `Variable name "${name.slice(0, 40)}" is invalid: use 1–128 characters from A–Z a–z 0–9 _ . : -.`,
      details: { clientSide: true },
    });
  }
}

/** Refuses a variable value over the gateway's per-variable limit, before sending it. */
export function checkVariable(limits: Limits, group: string, name: string, value: JsonValue): void {
  const bytes = jsonBytes(value);
  if (bytes > limits.maxVariableBytes) {
    throw new TooLargeError({
      code: 'SESSION.VARIABLE_TOO_LARGE',
      message: `Variable ${group}/${name} is ${bytes} bytes; the gateway's limit is ${limits.maxVariableBytes} bytes per variable. Not sent.`,
      details: { bytes, limit: limits.maxVariableBytes, clientSide: true },
    });
  }
}

/** Refuses the initial data of a new session when a variable, or the whole, is over the gateway's limits. */
export function checkGroups(limits: Limits, data: Readonly<Record<string, Readonly<Record<string, JsonValue>>>>): void {
  let total = 0;
  for (const [group, vars] of Object.entries(data)) {
    for (const [name, value] of Object.entries(vars)) {
      checkVariable(limits, group, name, value);
      total += jsonBytes(value);
    }
  }
  if (total > limits.maxSessionBytes) {
    throw new TooLargeError({
      code: 'SESSION.TOO_LARGE',
      message: `The session would hold ${total} bytes; the gateway's limit is ${limits.maxSessionBytes} bytes per session. Not sent.`,
      details: { bytes: total, limit: limits.maxSessionBytes, clientSide: true },
    });
  }
}

/** Refuses a request body over the gateway's body limit. */
export function checkBody(limits: Limits, body: string): void {
  const bytes = encoder.encode(body).length;
  if (bytes > limits.maxBodyBytes) {
    throw new TooLargeError({
      code: 'REQUEST.TOO_LARGE',
      message: `The request body is ${bytes} bytes; the gateway accepts at most ${limits.maxBodyBytes}. Not sent.`,
      details: { bytes, limit: limits.maxBodyBytes, clientSide: true },
    });
  }
}

/** Whether a client of contract `mine` can talk to a gateway of contract `theirs`: same major, and same minor while the major is 0. */
export function compatibleContracts(mine: string, theirs: string): boolean {
  const a = /^(\d+)\.(\d+)\.(\d+)/.exec(mine);
  const b = /^(\d+)\.(\d+)\.(\d+)/.exec(theirs);
  if (!a || !b) return false;
  return a[1] === b[1] && (a[1] !== '0' || a[2] === b[2]);
}
