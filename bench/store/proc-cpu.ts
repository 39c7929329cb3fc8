import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds used so far, per labelled process group, plus the whole machine's busy/total time. */
export interface CpuSnapshot {
  readonly byLabel: ReadonlyMap<string, number>;
  readonly machineBusyS: number;
  readonly machineTotalS: number;
}

// USER_HZ: 100 on every Linux architecture Node runs on.
const TICKS_PER_S = 100;

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly cpuS: number;
}

/**
 * Parses /proc/<pid>/stat (the command name may contain spaces and parentheses). The CPU time
 * includes reaped children (cutime/cstime): when Postgres closes a backend, its CPU moves to the
 * postmaster, under the same label, instead of vanishing from the sum.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  // After "pid (comm) ": state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
  const fields = text.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  const ticks = [11, 12, 13, 14].map((i) => Number(fields[i]));
  if (![pid, ppid, ...ticks].every(Number.isFinite)) return undefined;
  return { pid, ppid, cpuS: ticks.reduce((a, b) => a + b, 0) / TICKS_PER_S };
}

/** A short label for a process of the benchmark, from its command line. */
export function labelFor(cmdline: readonly string[]): string {
  const joined = cmdline.join(' ');
  const app = /dist\/apps\/([a-z-]+)\//.exec(joined);
  if (app) return app[1] ?? 'app';
  const peer = /peers\/main\.js.*--kind (\w+)/.exec(joined);
  if (peer) return `${peer[1] ?? ''}-peer`;
  if (/nats-server/.test(joined)) return 'nats-server';
  if (/redis-server/.test(joined)) return 'redis-server';
  if (/postgres/.test(cmdline[0] ?? '') || /^postgres:/.test(joined)) return 'postgres';
  return 'other';
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process exited meanwhile
  }
}

/**
 * CPU used by this process ("harness") and every descendant, grouped by label. Linux only; elsewhere
 * it returns an empty snapshot.
 */
export function cpuSnapshot(rootPid = process.pid): CpuSnapshot {
  const stats = new Map<number, ProcStat>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return { byLabel: new Map(), machineBusyS: 0, machineTotalS: 0 };
  }
  for (const e of entries) {
    const text = readText(`/proc/${e}/stat`);
    const s = text === undefined ? undefined : parseProcStat(text);
    if (s) stats.set(s.pid, s);
  }
  const children = new Map<number, number[]>();
  for (const s of stats.values()) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const byLabel = new Map<string, number>();
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    const s = stats.get(pid);
    if (s) {
      const label = pid === rootPid ? 'harness' : labelFor((readText(`/proc/${pid}/cmdline`) ?? '').split('\0'));
      byLabel.set(label, (byLabel.get(label) ?? 0) + s.cpuS);
    }
    stack.push(...(children.get(pid) ?? []));
  }
  const cpuLine = (readText('/proc/stat') ?? '').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const total = cpuLine.reduce((a, b) => a + b, 0);
  const idle = (cpuLine[3] ?? 0) + (cpuLine[4] ?? 0);
  return { byLabel, machineBusyS: (total - idle) / TICKS_PER_S, machineTotalS: total / TICKS_PER_S };
}

/** The pids of every live descendant of `rootPid` (children, their children …), from /proc. Linux only; elsewhere empty. */
export function descendantPids(rootPid = process.pid): number[] {
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const e of entries) {
    const text = readText(`/proc/${e}/stat`);
    const s = text === undefined ? undefined : parseProcStat(text);
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  }
  const found: number[] = [];
  const stack = [...(children.get(rootPid) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    found.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** CPU between two snapshots as % of one core per label, and the machine's busy share in %. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, wallS: number): { byLabel: Record<string, number>; machineBusyPct: number } {
  const byLabel: Record<string, number> = {};
  for (const [label, s] of after.byLabel) {
    const pct = (100 * (s - (before.byLabel.get(label) ?? 0))) / wallS;
    if (pct >= 0.5) byLabel[label] = Math.round(pct * 10) / 10;
  }
  const total = after.machineTotalS - before.machineTotalS;
  const machineBusyPct = total > 0 ? Math.round((100 * (after.machineBusyS - before.machineBusyS)) / total) : 0;
  return { byLabel, machineBusyPct };
}

/** The process groups that serve each system's requests (the harness is the client, not counted). */
const SYSTEM_PROCESSES: Readonly<Record<string, readonly string[]>> = {
  foresight: ['gateway', 'shard', 'metadata', 'prediction', 'token', 'affinity', 'nats-server', 'postgres'],
  redis: ['redis-peer', 'redis-server'],
  postgres: ['postgres-peer', 'postgres'],
};

/**
 * Server-side CPU milliseconds per successful request: the CPU of the system's own processes over
 * the window divided by its 2xx responses. It depends much less than req/s on how busy the shared
 * machine was (though contention still inflates it somewhat: fewer requests per event-loop turn).
 */
export function cpuMsPerRequest(system: string, byLabel: Readonly<Record<string, number>>, wallS: number, ok: number): number {
  if (ok === 0) return 0;
  const pct = (SYSTEM_PROCESSES[system] ?? []).reduce((sum, label) => sum + (byLabel[label] ?? 0), 0);
  return Math.round(((pct / 100) * wallS * 1000 * 1000) / ok) / 1000;
}
