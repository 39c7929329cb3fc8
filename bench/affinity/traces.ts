import type { Rng } from '@foresight/random';
import { parseApacheLog, sessionise } from '../tokens/apache-log';

/** One session of a trace: a client key (sessions of one client share it) and its request times. */
export interface SimSession {
  readonly id: string;
  readonly clientKey: string;
  /** Ascending epoch ms. */
  readonly requests: readonly number[];
}

export interface Trace {
  readonly name: string;
  readonly sessions: readonly SimSession[];
  readonly skippedLines: number;
}

/** Sessions of an Apache combined log (client = address + user agent, split on idle gaps), real times. */
export function apacheTrace(text: string, idleGapMs: number, maxSessions: number): Trace {
  const { requests, skipped } = parseApacheLog(text);
  const sessions = sessionise(requests, idleGapMs).slice(0, maxSessions);
  return { name: 'apache', sessions, skippedLines: skipped };
}

/** The gaps between consecutive requests of the sessions (ms), the empirical timing other traces borrow. */
export function interRequestGaps(sessions: readonly SimSession[]): number[] {
  const gaps: number[] = [];
  for (const s of sessions) for (let i = 1; i < s.requests.length; i++) gaps.push(s.requests[i]! - s.requests[i - 1]!);
  return gaps.length > 0 ? gaps : [1000];
}

/**
 * FIFA sessions (one line of page ids per session, no timestamps): each keeps its length, starts at a
 * uniform time over `spanMs`, and its gaps are drawn from `gaps` (real gaps of the access log).
 * Blank or non-numeric lines are skipped and counted.
 */
export function fifaTrace(text: string, gaps: readonly number[], spanMs: number, maxSessions: number, rng: Rng): Trace {
  const sessions: SimSession[] = [];
  let skipped = 0;
  const t0 = Date.UTC(1998, 5, 10);
  for (const line of text.split('\n')) {
    if (sessions.length >= maxSessions) break;
    const ids = line
      .trim()
      .split(/\s+/)
      .filter((x) => x !== '');
    if (ids.length === 0 || ids.some((x) => !/^\d+$/.test(x))) {
      if (line.trim() !== '') skipped++;
      continue;
    }
    let t = t0 + Math.floor(rng() * spanMs);
    const requests = [t];
    for (let i = 1; i < ids.length; i++) {
      t += gaps[Math.floor(rng() * gaps.length)]!;
      requests.push(t);
    }
    const id = `f${sessions.length}`;
    sessions.push({ id, clientKey: id, requests });
  }
  return { name: 'fifa', sessions, skippedLines: skipped };
}
