import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_EDGE_SCORE } from '@foresight/affinity-core';
import { seededRng } from '@foresight/random';
import { affinityCli } from './cli';
import { affinityPolicy, consistentHash, roundRobin, type Policy } from './policies';
import { predictiveVsRules, renderTable } from './report';
import { simulate, type PolicyResult } from './simulate';
import { apacheTrace, fifaTrace, interRequestGaps, type Trace } from './traces';
import { World, WORLD_DEFAULTS } from './world';

const log = (msg: string): void => void process.stderr.write(`[bench:affinity] ${msg}\n`);

function main(): void {
  const a = affinityCli.parseOrExit(process.argv.slice(2));
  const traces: Trace[] = [];
  const apache = a.apache !== undefined ? apacheTrace(readFileSync(a.apache, 'utf8'), a.idleGapMs, a.maxSessions) : undefined;
  if (apache) traces.push(apache);
  if (a.fifa !== undefined && apache)
    traces.push(fifaTrace(readFileSync(a.fifa, 'utf8'), interRequestGaps(apache.sessions), a.fifaSpanMs, a.maxSessions, seededRng(a.seed + 7)));

  const score = { ...DEFAULT_EDGE_SCORE, sameZoneRttMs: a.sameZoneRttMs, otherZoneRttMs: a.otherZoneRttMs };
  const policies = (): Policy[] => [
    affinityPolicy('rules', { threshold: a.threshold, score }),
    affinityPolicy('predictive', { threshold: a.threshold, score }),
    roundRobin(),
    consistentHash(),
  ];
  const rows: { trace: string; result: PolicyResult }[] = [];
  const events: Record<string, unknown> = {};
  for (const trace of traces) {
    const times = trace.sessions.flatMap((s) => [s.requests[0]!, s.requests[s.requests.length - 1]!]);
    const span = { start: Math.min(...times), end: Math.max(...times) };
    const world = new World(
      {
        edges: a.edges,
        zones: a.zones,
        sameZoneRttMs: a.sameZoneRttMs,
        otherZoneRttMs: a.otherZoneRttMs,
        kills: a.kills,
        degradations: a.degradations,
        ...WORLD_DEFAULTS,
      },
      span,
      seededRng(a.seed),
    );
    events[trace.name] = world.events.map((e) => ({ ...e, start: new Date(e.start).toISOString(), end: new Date(e.end).toISOString() }));
    const requests = trace.sessions.reduce((n, s) => n + s.requests.length, 0);
    log(
      `${trace.name}: ${trace.sessions.length} sessions, ${requests} requests, ${((span.end - span.start) / 3_600_000).toFixed(1)} h, ${trace.skippedLines} skipped lines`,
    );
    for (const policy of policies()) {
      const started = Date.now();
      const result = simulate(trace.sessions, policy, world, a, seededRng(a.seed + 1));
      log(`${trace.name}/${policy.name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      rows.push({ trace: trace.name, result });
    }
  }
  const comparison = predictiveVsRules(rows);
  process.stdout.write(renderTable(rows) + '\n');
  process.stdout.write(`predictive vs rules: ${JSON.stringify(comparison)}\n`);
  mkdirSync(dirname(a.out), { recursive: true });
  writeFileSync(
    a.out,
    JSON.stringify(
      {
        bench: 'affinity',
        command: `npm run bench:affinity -- ${process.argv.slice(2).join(' ')}`,
        args: a,
        events,
        results: rows,
        predictiveVsRules: comparison,
      },
      null,
      2,
    ),
  );
  log(`wrote ${a.out}`);
}

main();
