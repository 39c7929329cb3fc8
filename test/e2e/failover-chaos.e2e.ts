import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chaosCli } from '../../bench/chaos/cli';
import { startChaosCluster, type ChaosCluster } from '../../bench/chaos/cluster';
import type { RoundResult } from '../../bench/chaos/report';
import { runChaos } from '../../bench/chaos/rounds';
import { createTestDatabase } from '@foresight/testing';

/**
 * The chaos suite's smoke for the shard-node faults, as a test: one round of each (a SIGKILL, a
 * freeze, a node turned slow, a slow node joining and leaving) under concurrent writers and strong
 * readers, on its own cluster of real processes (3 shard nodes, 2 metadata instances, 2 gateways,
 * its own nats-server and database). It fails on a lost write, a stale or phantom read, a
 * client-visible error or a register never served again; never on a time.
 */
describe('chaos smoke: shard-node faults under load', () => {
  let cluster: ChaosCluster | undefined;

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('loses no acknowledged write, serves no stale read and shows clients no error in any shard-node fault', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'foresight-chaos-smoke-')), 'chaos.json');
    const args = chaosCli.parse(['--smoke', '--faults', 'shard-kill,shard-freeze,shard-slow,shard-latency', '--json', json]);
    // The tier's Postgres (jest cannot start an embedded one); the shard-node faults do not touch it.
    cluster = await startChaosCluster({ databaseUrl: await createTestDatabase('chaos_smoke') });
    const results: RoundResult[] = [];
    await runChaos(args, cluster, results, (line) => process.stderr.write(`[chaos smoke] ${line}\n`));
    const verdicts = results.map((r) => ({
      fault: r.fault,
      lost: r.lostWrites,
      stale: r.staleReads,
      phantom: r.phantomReads,
      errors: r.errorsByCode,
      neverServed: r.neverServed,
    }));
    expect(verdicts).toEqual(args.faults.map((fault) => ({ fault, lost: 0, stale: 0, phantom: 0, errors: {}, neverServed: 0 })));
  }, 300_000);
});
