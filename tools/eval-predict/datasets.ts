import { inputFileProblem } from '@foresight/cli';
import { readFileSync } from 'node:fs';
import { listZip } from './zip';

/** Input formats understood by the evaluation. */
export type DataFormat = 'msnbc' | 'lines' | 'tsv';

/** What to pass as --data, in the sentence refusing a missing file or a directory. */
export const DATA_HINT = 'a data file (.zip or .seq for msnbc, a text file for lines or tsv), e.g. data/fifa98/FIFA.dat';

/** Reads sessions (as lists of raw action tokens) in file order. */
export function loadSessions(path: string, format: DataFormat, maxSessions = Infinity, flag = '--data'): string[][] {
  const problem = inputFileProblem(flag, path, DATA_HINT);
  if (problem !== undefined) throw new Error(problem);
  const text = format === 'msnbc' && path.endsWith('.zip') ? readMsnbcZip(path) : readFileSync(path, 'utf8');
  switch (format) {
    case 'msnbc':
      return parseLines(text, maxSessions, (line) => line.startsWith('%') || !/^\d/.test(line));
    case 'lines':
      return parseLines(text, maxSessions, () => false);
    case 'tsv':
      return parseTsv(text, maxSessions);
  }
}

function readMsnbcZip(path: string): string {
  const entries = listZip(readFileSync(path)).filter((e) => !e.name.startsWith('__MACOSX') && !e.name.endsWith('/'));
  const seq = entries.find((e) => e.name.endsWith('.seq')) ?? entries[0];
  if (seq === undefined) throw new Error(`${path}: the zip archive holds no file`);
  return seq.read().toString('utf8');
}

function parseLines(text: string, max: number, skip: (line: string) => boolean): string[][] {
  const sessions: string[][] = [];
  for (const raw of text.split('\n')) {
    if (sessions.length >= max) break;
    const line = raw.trim();
    if (line.length === 0 || skip(line)) continue;
    sessions.push(line.split(/\s+/));
  }
  return sessions;
}

/** `sessionId itemId time` rows (tab or space separated), sorted by session then time. */
function parseTsv(text: string, max: number): string[][] {
  const sessions: string[][] = [];
  let current: string[] | null = null;
  let currentId: string | null = null;
  for (const raw of text.split('\n')) {
    const cols = raw.trim().split(/\s+/);
    if (cols.length < 2 || cols[0] === '' || (currentId === null && /session/i.test(cols[0]!))) continue;
    if (cols[0] !== currentId) {
      if (sessions.length >= max) break;
      current = [];
      currentId = cols[0]!;
      sessions.push(current);
    }
    current!.push(cols[1]!);
  }
  return sessions;
}
