import 'reflect-metadata';
import { ErrorCodes, ForesightError } from '@foresight/contracts';
import { callRpc } from '@foresight/messaging';
import { asServiceError, GroupCommitter, isDatabaseOutage } from '@foresight/persistence';
import { ForesightRpcTransport, RpcController, RpcOp, serveRpcControllers } from '@foresight/platform';
import { testInfra, uniqueName } from '@foresight/testing';
import { connect } from 'nats';
import { createServer, type AddressInfo } from 'node:net';
import { Client, Pool } from 'pg';

const quiet = { warn: () => undefined, error: () => undefined };

/** The error a real query raises, or a failure of the test if it succeeds. */
async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the query to fail');
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A database outage is a retryable SERVICE.UNAVAILABLE, not SERVICE.INTERNAL: classified on the errors a
 * real Postgres and node-postgres raise, and sent as such by the services' RPC transport.
 */
describe('database outages as SERVICE.UNAVAILABLE', () => {
  it('recognises a refused connection, a connection the server terminates and a pool ended at shutdown; not a bad statement', async () => {
    const refused = new Pool({ connectionString: `postgres://nobody:x@127.0.0.1:${await closedPort()}/none`, connectionTimeoutMillis: 5000 });
    refused.on('error', () => undefined);
    const noServer = await failureOf(() => refused.query('SELECT 1'));
    await refused.end();

    const admin = new Client({ connectionString: testInfra().pgAdminUrl });
    const victim = new Client({ connectionString: testInfra().pgAdminUrl });
    await admin.connect();
    await victim.connect();
    victim.on('error', () => undefined);
    let terminated: unknown;
    let badStatement: unknown;
    try {
      badStatement = await failureOf(() => victim.query("SELECT 'not a number'::int"));
      const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      terminated = await failureOf(() => victim.query('SELECT 1'));
    } finally {
      await admin.end();
      await victim.end().catch(() => undefined);
    }

    const ended = new Pool({ connectionString: testInfra().pgAdminUrl });
    await ended.end();
    const afterEnd = await failureOf(() => ended.query('SELECT 1'));

    expect([noServer, terminated, afterEnd].map(isDatabaseOutage)).toEqual([true, true, true]);
    expect(isDatabaseOutage(badStatement)).toBe(false);
    expect(asServiceError(terminated)).toMatchObject({ code: ErrorCodes.UNAVAILABLE, message: expect.stringContaining('retry') });
    expect(asServiceError(badStatement)).toBe(badStatement);
  }, 30_000);

  it('a node shutting down refuses new appends as SERVICE.UNAVAILABLE (nothing written, safe to retry elsewhere)', async () => {
    const committer = new GroupCommitter<number, number>(async (batch) => batch, 8);
    await committer.close();
    await expect(committer.submit(1)).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE });
  });

  it("the RPC transport sends a handler's outage as SERVICE.UNAVAILABLE, and a bug still as SERVICE.INTERNAL", async () => {
    @RpcController()
    class StoreController {
      @RpcOp('store', 'read')
      async read(): Promise<never> {
        const pool = new Pool({ connectionString: `postgres://nobody:x@127.0.0.1:${await closedPort()}/none` });
        pool.on('error', () => undefined);
        try {
          return (await pool.query('SELECT 1')) as never;
        } finally {
          await pool.end();
        }
      }

      @RpcOp('store', 'bug')
      async bug(): Promise<never> {
        throw new TypeError('a bug');
      }
    }
    const nc = await connect({ servers: testInfra().natsUrl });
    const subject = `${uniqueName('outage')}.rpc.store`;
    const transport = new ForesightRpcTransport({ nc, logger: quiet, endpoints: { store: { subject } }, mapError: asServiceError });
    const service = await serveRpcControllers(transport, [StoreController], []);
    try {
      transport.open();
      const code = async (op: string) => {
        const error = await failureOf(() => callRpc(nc, subject, op, {}, { timeoutMs: 10_000 }));
        return error instanceof ForesightError ? error.code : error;
      };
      expect(await code('read')).toBe(ErrorCodes.UNAVAILABLE);
      expect(await code('bug')).toBe(ErrorCodes.INTERNAL);
    } finally {
      await transport.close();
      await service.close();
      await nc.drain();
    }
  }, 30_000);
});
