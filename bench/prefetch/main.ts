import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { nextUseIndex } from './belady';
import { prefetchCli, type BenchArgs } from './cli';
import { fetchesVsLru, ratios, renderTable, type Row } from './report';
import { replay } from './replay';
import { buildSchedule } from './schedule';
import { buildSystem } from './systems';
import { loadSessions } from './trace';

const log = (msg: string): void => void process.stderr.write(`[bench:prefetch] ${msg}\n`);

async function run(a: BenchArgs): Promise<void> {
  const train = loadSessions(a.data, a.format, a.maxSessions);
  const test = a.test === undefined ? [] : loadSessions(a.test, a.format, a.maxSessions);
  const sessions = train.concat(test);
  const distinct = new Set<string>();
  let requests = 0;
  for (const s of sessions)
    for (const p of s) {
      distinct.add(p);
      requests++;
    }
  const firstTest = a.test === undefined ? Math.floor(sessions.length * a.trainShare) : train.length;
  log(`${sessions.length} sessions, ${requests} requests, ${distinct.size} distinct keys; warm-up on sessions [0, ${firstTest}), measured on the rest`);

  const rows: Row[] = [];
  for (const concurrency of a.concurrency) {
    const schedule = buildSchedule(sessions, concurrency, a.thinkMs, firstTest, a.seed);
    const keys = Array.from({ length: schedule.length }, (_, j) => sessions[schedule.session[j]!]![schedule.position[j]!]!);
    const nextUse = a.policies.includes('belady') ? nextUseIndex(keys) : undefined;
    for (const pct of a.capacities) {
      const capacityEntries = Math.max(1, Math.round((distinct.size * pct) / 100));
      for (const policy of a.policies) {
        const started = Date.now();
        const result = await replay(
          sessions,
          schedule,
          buildSystem(policy, a),
          {
            capacityEntries,
            latencyMs: a.latencyMs,
            thinkMs: a.thinkMs,
            prefetchConcurrency: a.prefetchConcurrency,
            progress: (done, total) => log(`  conc ${concurrency} cap ${pct}% ${policy}: ${done}/${total}`),
          },
          nextUse,
        );
        const row: Row = { concurrency, capacityPercent: pct, capacityEntries, policy, result, seconds: (Date.now() - started) / 1000 };
        rows.push(row);
        const x = ratios(result);
        log(
          `conc ${concurrency} cap ${pct}% (${capacityEntries}) ${policy}: hit ${x.hitRatio.toFixed(4)}, fetch/req ${x.fetchesPerRequest.toFixed(4)} (${row.seconds.toFixed(1)} s)`,
        );
      }
    }
  }
  process.stdout.write(renderTable(rows) + '\n');
  const report = {
    bench: 'prefetch',
    command: `npm run bench:prefetch -- ${process.argv.slice(2).join(' ')}`,
    data: a.data,
    sessions: sessions.length,
    requests,
    distinctKeys: distinct.size,
    settings: { ...a, maxSessions: Number.isFinite(a.maxSessions) ? a.maxSessions : null },
    rows: rows.map((r) => ({ ...r, ...ratios(r.result), fetchesVsLru: fetchesVsLru(rows, r) })),
  };
  mkdirSync(dirname(a.out), { recursive: true });
  writeFileSync(a.out, JSON.stringify(report, null, 2));
  log(`wrote ${a.out}`);
}

run(prefetchCli.parseOrExit(process.argv.slice(2))).catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
