/** One request of the access log, reduced to what the refresh simulation needs. */
export interface LoggedRequest {
  /** Client identity: IP + user agent. */
  readonly clientKey: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** A sessionised client: requests with no idle gap longer than the threshold. */
export interface TraceSession {
  readonly id: string;
  readonly clientKey: string;
  /** Request times, ascending, epoch milliseconds. */
  readonly requests: readonly number[];
}

const LINE = /^(\S+) \S+ \S+ \[([^\]]+)\] "(?:[^"\\]|\\.)*" \d{3} \S+ "(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)"/;
const STAMP = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** Parses an Apache combined-format timestamp (`17/May/2015:10:05:03 +0000`) to epoch ms. */
export function parseApacheTime(stamp: string): number | undefined {
  const m = STAMP.exec(stamp);
  const month = m ? MONTHS[m[2]!] : undefined;
  if (!m || month === undefined) return undefined;
  const utc = Date.UTC(+m[3]!, month, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  const offsetMin = (m[7] === '-' ? -1 : 1) * (+m[8]! * 60 + +m[9]!);
  return utc - offsetMin * 60_000;
}

/** Parses a combined-format log; lines that do not match are counted, not fatal. */
export function parseApacheLog(text: string): { requests: LoggedRequest[]; skipped: number } {
  const requests: LoggedRequest[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = LINE.exec(line);
    const at = m ? parseApacheTime(m[2]!) : undefined;
    if (!m || at === undefined) {
      skipped++;
      continue;
    }
    requests.push({ clientKey: `${m[1]}|${m[3]}`, at });
  }
  return { requests, skipped };
}

/** Groups requests by client and splits a client's requests wherever the gap exceeds `idleGapMs`. */
export function sessionise(requests: readonly LoggedRequest[], idleGapMs: number): TraceSession[] {
  const byClient = new Map<string, number[]>();
  for (const r of requests) {
    const list = byClient.get(r.clientKey);
    if (list) list.push(r.at);
    else byClient.set(r.clientKey, [r.at]);
  }
  const sessions: { clientKey: string; requests: number[] }[] = [];
  for (const [clientKey, times] of byClient) {
    times.sort((a, b) => a - b);
    let current: number[] = [];
    for (const t of times) {
      if (current.length > 0 && t - current[current.length - 1]! > idleGapMs) {
        sessions.push({ clientKey, requests: current });
        current = [];
      }
      current.push(t);
    }
    sessions.push({ clientKey, requests: current });
  }
  sessions.sort((a, b) => a.requests[0]! - b.requests[0]! || (a.clientKey < b.clientKey ? -1 : 1));
  return sessions.map((s, i) => ({ id: `s${i}`, ...s }));
}
