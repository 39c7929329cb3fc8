import type { SessionCommand, SessionState } from '@foresight/session-domain';

/**
 * Which state groups a session held in memory has: all of them (`undefined`), or only those named
 * (a partial load for a read of some groups). Its core (version, status, timeouts, sizes, request
 * memory, recent actions) is always whole.
 */
export type LoadedGroups = ReadonlySet<string> | undefined;

/** Whether a session holding `loaded` can serve a read or write of `wanted` (undefined: all groups). */
export function covers(loaded: LoadedGroups, wanted: readonly string[] | undefined): boolean {
  if (loaded === undefined) return true;
  if (wanted === undefined || wanted.length === 0) return false;
  return wanted.every((g) => loaded.has(g));
}

/** The groups a command reads or changes (undefined: all; [] none besides the core). */
export function groupsOf(command: SessionCommand): readonly string[] | undefined {
  switch (command.kind) {
    case 'put':
    case 'patch':
    case 'delete':
      return [command.group];
    case 'create':
    case 'end':
    case 'record_action':
      return [];
    default:
      return undefined;
  }
}

/**
 * `partial` (holding the groups in `loaded`) completed with the groups `taken` names (undefined:
 * all) from `other`, a load of the same session at the same version; the core of `partial` stays
 * (it may carry reads recorded since). Undefined when the versions differ: then `other` replaces it.
 */
export function completeWith(partial: SessionState, loaded: ReadonlySet<string>, other: SessionState, taken?: readonly string[]): SessionState | undefined {
  if (other.version !== partial.version) return undefined;
  const groups = Object.create(null) as Record<string, SessionState['groups'][string]>;
  for (const [g, vars] of Object.entries(other.groups)) if (taken === undefined || taken.includes(g)) groups[g] = vars;
  for (const g of loaded) if (Object.hasOwn(partial.groups, g)) groups[g] = partial.groups[g];
  return { ...partial, groups };
}
