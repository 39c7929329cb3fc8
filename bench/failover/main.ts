import { mkdirSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { startLocalStack } from '../../scripts/local-stack';
import { metricSamples, metricSum, scrapeMetrics } from '../prometheus-text';
import { failoverCli } from './cli';

/**
 * `npm run bench:failover [-- --nodes 3 --writers 32 --rounds 3 --lease-ms 3000]`: SIGKILLs a shard
 * node under a steady write load and measures how long until every shard has a live owner again,
 * what clients saw (errors, slowest request), and whether any acknowledged write was lost.
 */
async function main(): Promise<void> {
  const args = failoverCli.parseOrExit(process.argv.slice(2));
  const stack = await startLocalStack({
    shardNodes: args.nodes,
    quiet: true,
    env: {
      LOG_LEVEL: 'warn',
      LEASE_MS: String(args.leaseMs),
      HEARTBEAT_MS: String(args.heartbeatMs),
      REBALANCE_MS: '100',
      FAILURE_PROBE_MS: String(args.probeMs),
    },
  });
  const headers = { 'x-api-key': stack.apiKey, 'content-type': 'application/json' };
  const db = new Client({ connectionString: stack.databaseUrl });
  await db.connect();
  const rounds: Record<string, number | string>[] = [];
  try {
    const sessions: string[] = [];
    for (let i = 0; i < args.writers; i++) {
      const r = await fetch(`${stack.gatewayUrl}/v1/sessions`, { method: 'POST', headers, body: '{}' });
      sessions.push(((await r.json()) as { id: string }).id);
    }
    let nextNode = args.nodes + 1;
    for (let round = 1; round <= args.rounds; round++) {
      const acked: { id: string; name: string; value: number }[] = [];
      let errors = 0;
      let slowestMs = 0;
      let running = true;
      const loops = sessions.map(async (id, k) => {
        for (let i = 0; running; i++) {
          const started = Date.now();
          const r = await fetch(`${stack.gatewayUrl}/v1/sessions/${id}/vars/cart/r${round}_${i}`, {
            method: 'PUT',
            headers,
            body: JSON.stringify({ value: k * 1e6 + i }),
          });
          slowestMs = Math.max(slowestMs, Date.now() - started);
          if (r.ok) acked.push({ id, name: `r${round}_${i}`, value: k * 1e6 + i });
          else errors++;
          await r.arrayBuffer();
        }
      });
      await new Promise((r) => setTimeout(r, 2000));
      // The longest event-loop stall (GC pauses included) of any shard node under this load: the
      // failure detector must not mistake one for a failure.
      const shardNodes = [...stack.services.values()].filter((s) => s.app === 'shard');
      const longestPauseMs = Math.max(0, ...(await scrapeMetrics(shardNodes)).flatMap((t) => metricSamples(t, 'nodejs_eventloop_lag_max_seconds')));
      const victim = shardNodes[0]!.name;
      const owned = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM shards WHERE owner_node = $1', [victim]);
      const promotedBefore = promotionCounts(await scrapeMetrics(shardNodes.filter((s) => s.name !== victim)));
      const killedAt = Date.now();
      await stack.kill(victim, 'SIGKILL');
      const survivors = shardNodes.filter((s) => s.name !== victim).map((s) => s.name);
      await stack.waitForAssignment(survivors, { exact: true, timeoutMs: 60_000 });
      const takeoverMs = Date.now() - killedAt;
      await new Promise((r) => setTimeout(r, 2000));
      running = false;
      await Promise.all(loops);
      // How the survivors got the killed node's sessions: warm copies, caught up, or rebuilt from the store.
      const promotedAfter = promotionCounts(await scrapeMetrics(survivors.map((name) => stack.services.get(name)!)));
      const promotions = {
        warm: promotedAfter.warm - promotedBefore.warm,
        caught_up: promotedAfter.caught_up - promotedBefore.caught_up,
        cold: promotedAfter.cold - promotedBefore.cold,
      };
      // Every acknowledged write must be readable from the new owners (strong reads).
      let lost = 0;
      for (const a of acked) {
        const r = await fetch(`${stack.gatewayUrl}/v1/sessions/${a.id}/vars/cart/${a.name}?consistent=true`, { headers });
        const body = (await r.json()) as { value?: number };
        if (body.value !== a.value) lost++;
      }
      rounds.push({
        round,
        killed: victim,
        shardsMoved: owned.rows[0].n,
        takeoverMs,
        acknowledgedWrites: acked.length,
        lostWrites: lost,
        clientErrors: errors,
        slowestRequestMs: slowestMs,
        longestPauseMs: Math.round(longestPauseMs * 1000),
        warmPromotions: promotions.warm,
        caughtUpPromotions: promotions.caught_up,
        coldPromotions: promotions.cold,
      });
      process.stderr.write(
        `round ${round}: killed ${victim} (${owned.rows[0].n} shards), takeover ${takeoverMs} ms, ${acked.length} acked, ${lost} lost, ${errors} errors\n`,
      );
      // Bring the cluster back to size for the next round with a fresh node.
      await stack.startService('shard', `shard-${nextNode++}`);
    }
  } finally {
    await db.end();
    await stack.stop();
  }
  const takeovers = rounds.map((r) => Number(r.takeoverMs)).sort((a, b) => a - b);
  const summary = {
    takeoverP50Ms: takeovers[Math.floor((takeovers.length - 1) / 2)],
    takeoverMaxMs: takeovers.at(-1),
    lostWrites: rounds.reduce((n, r) => n + Number(r.lostWrites), 0),
    clientErrors: rounds.reduce((n, r) => n + Number(r.clientErrors), 0),
    longestPauseMs: Math.max(...rounds.map((r) => Number(r.longestPauseMs))),
  };
  console.table(rounds);
  console.table([summary]);
  mkdirSync('.bench-results', { recursive: true });
  writeFileSync(args.out, JSON.stringify({ measuredAt: new Date().toISOString(), args, rounds, summary }, null, 2));
  process.stderr.write(`wrote ${args.out}\n`);
}

/** Sessions promoted on these nodes so far, by how: from a warm copy, caught up, or rebuilt from the store. */
function promotionCounts(texts: readonly string[]): { warm: number; caught_up: number; cold: number } {
  const count = (outcome: string) => texts.reduce((n, t) => n + metricSum(t, 'foresight_replica_promotions_total', `outcome="${outcome}"`), 0);
  return { warm: count('warm'), caught_up: count('caught_up'), cold: count('cold') };
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:failover failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
