import { statSync } from 'node:fs';

/**
 * Why `path`, given with `flag`, cannot be read as an input file (missing, a directory, not a
 * regular file), as one sentence ending in what to pass instead (`hint`); undefined when it can.
 */
export function inputFileProblem(flag: string, path: string, hint: string): string | undefined {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return `${flag} ${path}: no such file. Pass ${hint}.`;
  }
  if (stat.isDirectory()) return `${flag} ${path} is not a file but a directory. Pass the file itself: ${hint}.`;
  if (!stat.isFile()) return `${flag} ${path} is not a file. Pass ${hint}.`;
  return undefined;
}
