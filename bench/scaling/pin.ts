import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { descendantPids } from '../store/proc-cpu';

/** Which cores the load generator and the services run on, or why there is no pinning. */
export type PinPlan =
  | { readonly pinned: true; readonly loadGeneratorCore: number; readonly serviceCores: readonly number[] }
  | { readonly pinned: false; readonly reason: string; readonly serviceCores: readonly number[] };

/** `0-2,5` (the kernel's Cpus_allowed_list) → [0, 1, 2, 5]; undefined when it does not parse. */
export function parseCpuList(text: string): number[] | undefined {
  const cores = new Set<number>();
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return undefined;
    for (let c = from; c <= to; c++) cores.add(c);
  }
  return cores.size > 0 ? [...cores].sort((a, b) => a - b) : undefined;
}

/**
 * The split of the allowed cores: the load generator gets the last one to itself, the services
 * the rest. With one core there is nothing to split.
 */
export function planPinning(allowed: readonly number[], tasksetProblem: string | undefined): PinPlan {
  if (tasksetProblem !== undefined) return { pinned: false, reason: tasksetProblem, serviceCores: allowed };
  if (allowed.length < 2) return { pinned: false, reason: `only ${allowed.length} core allowed to this process: nothing to split`, serviceCores: allowed };
  const loadGeneratorCore = allowed[allowed.length - 1] as number;
  return { pinned: true, loadGeneratorCore, serviceCores: allowed.slice(0, -1) };
}

/** The cores this process may run on, from /proc/self/status; undefined off Linux. */
function allowedCores(): number[] | undefined {
  try {
    const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return line?.[1] === undefined ? undefined : parseCpuList(line[1]);
  } catch {
    return undefined;
  }
}

/** Runs `taskset -a -p -c <cores> <pid>`; undefined when it worked, else why not. */
function taskset(cores: readonly number[], pid: number): string | undefined {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cores.join(','), String(pid)], { encoding: 'utf8' });
  if (r.error) return `taskset could not run (${r.error.message})`;
  if (r.status !== 0) return `taskset failed for pid ${pid}: ${(r.stderr || r.stdout).trim()}`;
  return undefined;
}

/**
 * What pinning is possible here: taskset on PATH (util-linux), Linux, and at least two cores
 * allowed to this process. Touches nothing yet.
 */
export function detectPinning(mode: 'auto' | 'off', fallbackCores: number): PinPlan {
  const allowed = allowedCores() ?? Array.from({ length: fallbackCores }, (_, i) => i);
  if (mode === 'off') return { pinned: false, reason: 'pinning turned off (--pin off)', serviceCores: allowed };
  if (allowedCores() === undefined) return planPinning(allowed, 'no /proc/self/status (not Linux): cannot pin');
  const probe = spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' });
  const problem = probe.error
    ? `taskset not found (${probe.error.message}); install util-linux to pin`
    : probe.status !== 0
      ? `taskset refused: ${probe.stderr.trim()}`
      : undefined;
  return planPinning(allowed, problem);
}

/**
 * Applies the plan: every service process under this one (and all their threads) to the service
 * cores, this process (the load generator) to its own core. Call again after starting processes:
 * they inherit this process's core. Returns undefined, or what failed (the run then goes on unpinned
 * and says so).
 */
export function applyPinning(plan: PinPlan, rootPid = process.pid): string | undefined {
  if (!plan.pinned) return undefined;
  for (const pid of descendantPids(rootPid)) {
    const problem = taskset(plan.serviceCores, pid);
    // A process that exited meanwhile is fine; anything else means pinning does not work here.
    if (problem !== undefined && !/No such process/i.test(problem)) return problem;
  }
  return taskset([plan.loadGeneratorCore], rootPid);
}

/** Undoes the pinning of this process (so whatever it starts next is not confined to one core). */
export function unpinSelf(plan: PinPlan, rootPid = process.pid): void {
  if (plan.pinned)
    taskset(
      [...plan.serviceCores, plan.loadGeneratorCore].sort((a, b) => a - b),
      rootPid,
    );
}
