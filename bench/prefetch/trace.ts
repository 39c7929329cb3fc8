import { readFileSync } from 'node:fs';
import type { TraceFormat } from './cli';

/** Reads sessions (lists of page/item ids as strings) in file order. */
export function loadSessions(path: string, format: TraceFormat, maxSessions = Number.POSITIVE_INFINITY): string[][] {
  if (path.endsWith('.zip')) throw new Error(`${path}: unzip the archive first and pass the .seq file`);
  return parseSessions(readFileSync(path, 'utf8'), format, maxSessions);
}

/** Parses trace text; `msnbc` skips its header lines, `tsv` groups `session item [time]` rows by session. */
export function parseSessions(text: string, format: TraceFormat, maxSessions = Number.POSITIVE_INFINITY): string[][] {
  const sessions: string[][] = [];
  if (format === 'tsv') {
    let currentId: string | undefined;
    for (const raw of text.split('\n')) {
      const cols = raw.trim().split(/\s+/);
      if (cols.length < 2 || cols[0] === '' || (currentId === undefined && /session/i.test(cols[0]!))) continue;
      if (cols[0] !== currentId) {
        if (sessions.length >= maxSessions) break;
        currentId = cols[0];
        sessions.push([]);
      }
      sessions[sessions.length - 1]!.push(cols[1]!);
    }
    return sessions;
  }
  for (const raw of text.split('\n')) {
    if (sessions.length >= maxSessions) break;
    const line = raw.trim();
    if (line.length === 0 || (format === 'msnbc' && !/^\d/.test(line))) continue;
    sessions.push(line.split(/\s+/));
  }
  return sessions;
}
