import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { chaosCli } from './cli';
import { SHARD_NODES, startChaosCluster, type ChaosCluster } from './cluster';
import { summarise, type RoundResult } from './report';
import { runChaos } from './rounds';

/**
 * `npm run chaos [-- --rounds 3 --faults a,b --writers 16 --readers 8 --seconds 4 --smoke]`: injects
 * each fault, round after round, into a local cluster under concurrent writers and readers, and
 * checks the recorded history (see README.md beside this file).
 */
const log = (msg: string) => process.stderr.write(`[chaos] ${msg}\n`);

async function main(): Promise<void> {
  const args = chaosCli.parseOrExit(process.argv.slice(2));
  const startedAt = Date.now();
  // Ctrl-C or a kill, even during start-up: stop every process this run started before leaving.
  let cluster: ChaosCluster | undefined;
  let signalled = false;
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    log(`${signal}: stopping the cluster`);
    if (cluster) stopping ??= cluster.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  log(`starting a local cluster (${SHARD_NODES} shard nodes, 2 metadata, 2 gateways)…`);
  cluster = await startChaosCluster();
  if (signalled) {
    await cluster.stop();
    process.exit(130);
  }
  log(`service logs in ${cluster.logDir}`);
  const results: RoundResult[] = [];
  let failure: unknown;
  try {
    await runChaos(args, cluster, results, log);
  } catch (error) {
    failure = error;
  } finally {
    await (stopping ?? cluster.stop());
  }
  const summary = summarise(results);
  if (results.length > 0) {
    console.table(
      results.map(({ examples: _examples, errorsByCode, ...rest }) => ({
        ...rest,
        errors: Object.entries(errorsByCode)
          .map(([c, n]) => `${c}×${n}`)
          .join(' '),
      })),
    );
    console.table(summary);
  }
  const totalSeconds = Math.round((Date.now() - startedAt) / 1000);
  mkdirSync(dirname(args.json), { recursive: true });
  writeFileSync(
    args.json,
    JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        args,
        loadAverage: loadavg(),
        totalSeconds,
        failed: failure ? String(failure) : undefined,
        summary,
        rounds: results,
      },
      null,
      2,
    ),
  );
  log(`wrote ${args.json} (${totalSeconds} s in all)`);
  if (failure) throw failure;
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
