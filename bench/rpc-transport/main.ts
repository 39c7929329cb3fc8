/*
 * npm run bench:rpc-transport -- [options]
 *
 * What serving a NATS request through Nest's handler pipeline (ForesightRpcTransport, an @RpcOp
 * controller method) costs against the same handler in a plain serveRpc map: both on one local
 * nats-server, same process, same client, same handlers (the shard's var.get / var.put request
 * checks and reply shapes, no store behind them), rounds alternated. The client's CPU is in both
 * figures alike, so the difference per request is the transport's.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { requestValidators, ShardCommandSchemas } from '@foresight/contracts';
import { callRpc, serveRpc, type RpcHandler, type RpcMeta } from '@foresight/messaging';
import { connectRpcTransport, ForesightRpcTransport, RpcContext, RpcController, RpcOp } from '@foresight/platform';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type NatsConnection } from 'nats';
import { startNatsServer } from '../../scripts/infra/nats-server';
import { rpcTransportCli } from './cli';

const { requests, rounds, concurrency } = rpcTransportCli.parseOrExit(process.argv.slice(2));
const checks = requestValidators(ShardCommandSchemas);

// The shard's checks and reply shapes without the session store behind them.
const varGet = async (raw: unknown) => {
  checks['var.get'].parse(raw);
  return { value: { items: [1, 2, 3], currency: 'EUR' }, version: 7 };
};
const varPut = async (raw: unknown, meta: RpcMeta) => {
  checks['var.put'].parse(raw);
  return { version: meta.correlationId.length };
};

@RpcController()
class BenchController {
  @RpcOp('nest', 'var.get')
  get(@Payload() body: unknown): Promise<unknown> {
    return varGet(body);
  }

  @RpcOp('nest', 'var.put')
  put(@Payload() body: unknown, @Ctx() ctx: RpcContext): Promise<unknown> {
    return varPut(body, ctx.meta);
  }
}

@Module({ controllers: [BenchController] })
class BenchModule {}

const sessionId = 'kz3sS1pk2uKyJhRQn7LgSIGuv4pjJEKd';
const bodies: Record<'var.get' | 'var.put', unknown> = {
  'var.get': { sessionId, group: 'cart', name: 'items' },
  'var.put': {
    sessionId,
    group: 'cart',
    name: 'items',
    value: {
      items: Array.from({ length: 4 }, (_, i) => ({ sku: `SKU-${1000 + i}`, name: 'Trail running shoes', qty: 1 + i, unitPriceCents: 8999 + i })),
      currency: 'EUR',
    },
  },
};

/** CPU µs and wall µs per request for `requests` requests of `op` on `subject`, `concurrency` at a time. */
async function round(nc: NatsConnection, subject: string, op: 'var.get' | 'var.put'): Promise<{ cpuUs: number; rps: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next++ < requests) await callRpc(nc, subject, op, bodies[op], { timeoutMs: 5000, correlationId: `c${next}` });
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / requests, rps: requests / wallS };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const nats = await startNatsServer();
  const serverNc = await connect({ servers: nats.url });
  const clientNc = await connect({ servers: nats.url });
  const quiet = { warn: () => undefined, error: () => undefined };
  const app = await NestFactory.create<NestFastifyApplication>(BenchModule, new FastifyAdapter(), { logger: false });
  const transport = new ForesightRpcTransport({ nc: serverNc, logger: quiet, endpoints: { nest: { subject: 'bench.nest' } }, onRequest: () => undefined });
  await connectRpcTransport(app, transport);
  await app.init();
  transport.open();
  const handlers: Record<string, RpcHandler> = { 'var.get': varGet, 'var.put': varPut };
  const direct = serveRpc(serverNc, 'bench.direct', handlers, { logger: quiet, onRequest: () => undefined });
  try {
    const rows = [];
    for (const op of ['var.get', 'var.put'] as const) {
      await round(clientNc, 'bench.direct', op); // warm-up, both paths
      await round(clientNc, 'bench.nest', op);
      const samples = { direct: [] as { cpuUs: number; rps: number }[], nest: [] as { cpuUs: number; rps: number }[] };
      for (let r = 0; r < rounds; r++) {
        samples.direct.push(await round(clientNc, 'bench.direct', op));
        samples.nest.push(await round(clientNc, 'bench.nest', op));
        process.stderr.write(`[bench:rpc-transport] ${op} round ${r + 1}/${rounds}\n`);
      }
      const d = { cpuUs: median(samples.direct.map((s) => s.cpuUs)), rps: median(samples.direct.map((s) => s.rps)) };
      const n = { cpuUs: median(samples.nest.map((s) => s.cpuUs)), rps: median(samples.nest.map((s) => s.rps)) };
      const ratios = samples.nest.map((s, i) => s.cpuUs / samples.direct[i]!.cpuUs);
      rows.push({
        op,
        directCpuUsPerRequest: +d.cpuUs.toFixed(1),
        nestCpuUsPerRequest: +n.cpuUs.toFixed(1),
        extraCpuUsPerRequest: +(n.cpuUs - d.cpuUs).toFixed(1),
        pairedCpuRatioMedian: +median(ratios).toFixed(3),
        directRps: Math.round(d.rps),
        nestRps: Math.round(n.rps),
      });
    }
    console.table(rows);
    process.stdout.write('CPU per request is this process (client + server side); nats-server is not counted. The client half is the same in both columns.\n');
    mkdirSync('.bench-results', { recursive: true });
    writeFileSync(
      '.bench-results/rpc-transport.json',
      JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, requests, rounds, concurrency, rows }, null, 2),
    );
    process.stderr.write('wrote .bench-results/rpc-transport.json\n');
  } finally {
    await direct.drain().catch(() => undefined);
    await app.close();
    await serverNc.drain();
    await clientNc.drain();
    await nats.stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench:rpc-transport failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
