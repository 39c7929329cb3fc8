/*
 * npm run fuzz -- --count N --seed S   (see --help)
 *
 * A randomized HTTP fuzz of the whole stack run as processes: 0 answers with status 5xx, every error
 * in the documented envelope, every request answered, no process crashed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { startLocalStack } from '../../scripts/local-stack';
import { fuzzCli } from './cli';
import { generateRequests, runFuzz } from './http-fuzz';

const log = (message: string): void => void process.stderr.write(`[fuzz] ${message}\n`);
const GROUPS = ['auth', 'profile', 'cart', 'settings', 'app'];

async function main(): Promise<number> {
  const opts = fuzzCli.parseOrExit(process.argv.slice(2));
  log('starting the stack ...');
  const stack = await startLocalStack({
    quiet: true,
    shardNodes: opts.shardNodes,
    extraServices: ['token', 'prediction'],
    // Anonymous writes reach their routes instead of the per-address limit.
    env: { LOG_LEVEL: opts.logLevel, HTTP_WRITE_RATE_PER_IP: '0', SESSION_SENSITIVE_GROUPS: 'auth' },
  });
  const stop = () => void stack.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const sessionIds: string[] = [];
    for (let i = 0; i < opts.sessions; i++) {
      const r = await fetch(`${stack.gatewayUrl}/v1/sessions`, {
        method: 'POST',
        headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ userId: `u${i}`, data: { cart: { items: [] } } }),
      });
      sessionIds.push(((await r.json()) as { id: string }).id);
    }
    log(`generating ${opts.count} requests (seed ${opts.seed}) ...`);
    const requests = generateRequests({ sessionIds, apiKey: stack.apiKey, groups: GROUPS }, opts.count, opts.seed);
    log(`sending them, ${opts.concurrency} in flight ...`);
    const report = await runFuzz(stack.gatewayUrl, requests, opts.concurrency, (n) => log(`${n}/${opts.count}`));
    const crashed = [...stack.services.values()].filter((s) => s.child.exitCode !== null || s.child.signalCode !== null).map((s) => s.name);
    const healthy = (await fetch(`${stack.gatewayUrl}/health`).catch(() => undefined))?.ok === true;
    const summary = {
      requests: report.requests,
      seconds: Number(report.seconds.toFixed(1)),
      perSecond: Math.round(report.requests / report.seconds),
      byStatus: report.byStatus,
      serverErrors: report.serverErrors,
      envelopeViolations: report.envelopeViolations,
      unanswered: report.transportErrors,
      crashedProcesses: crashed,
      gatewayHealthyAfter: healthy,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    for (const f of report.failures.slice(0, 10))
      log(`${f.problem}: ${f.request.method} ${f.request.path.slice(0, 200)} ${f.request.body?.slice(0, 200) ?? ''}`);
    const out = resolve(opts.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify({ name: 'fuzz', options: opts, machine: { cpus: cpus().length, node: process.version, loadavg: loadavg() }, ...summary, failures: report.failures }, null, 2)}\n`,
    );
    log(`wrote ${out}`);
    return report.serverErrors + report.envelopeViolations + report.transportErrors + crashed.length === 0 && healthy ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
