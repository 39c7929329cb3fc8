import type { SessionPolicy } from '@foresight/session-domain';

/** The session policy the transfer specs run with: two groups, generous limits. */
export const policy: SessionPolicy = {
  groups: ['auth', 'cart'],
  maxVariableBytes: 1024,
  maxSessionBytes: 1 << 20,
  idleTimeoutMs: 60_000,
  absoluteTimeoutMs: 3_600_000,
  idleGraceMs: 0,
};

let n = 0;
/** A command context at a fixed time with distinct, valid event ids. */
export const ctx = () => ({ now: 1_000, correlationId: 'c', causationId: 'k', newEventId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}` });
