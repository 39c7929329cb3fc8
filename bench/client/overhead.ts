import { ForesightClient, type FetchLike } from '@foresight/client';

/** Per-call latency of one way of calling, µs. */
export interface Latency {
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

export interface OverheadResult {
  /** Against the real gateway: raw fetch and the client, GET and PUT of one variable, interleaved. */
  readonly gateway: Readonly<Record<'rawGet' | 'clientGet' | 'rawPut' | 'clientPut', Latency>>;
  /** The client's own cost with a fetch that answers at once (no network): µs per call over a bare fetch + JSON.parse. */
  readonly inProcess: { readonly rawUs: number; readonly clientUs: number };
  readonly calls: number;
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const r = (v: number) => Math.round(v * 10) / 10;
  return { meanUs: r(mean), p50Us: r(quantile(sorted, 0.5)), p99Us: r(quantile(sorted, 0.99)) };
}

async function timeUs(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1000;
}

/**
 * The client against raw `fetch` on the same gateway, variable and connection pool (Node's global
 * fetch, passed to the client in place of its default node:http transport, so only the client's own
 * work differs), in interleaved blocks so drift of the shared machine hits both alike; then the
 * client's own CPU per call with an instant fetch, which the network's noise cannot hide.
 */
export async function measureOverhead(gatewayUrl: string, apiKey: string, calls: number, log: (m: string) => void): Promise<OverheadResult> {
  const client = new ForesightClient({ baseUrl: gatewayUrl, apiKey, fetch: (u, init) => fetch(u, init), agent: { reportIntervalMs: 0 } });
  const { id } = await client.createSession({ data: { cart: { n: 0 } } });
  const url = `${gatewayUrl}/v1/sessions/${id}/vars/cart/n`;
  let key = 0;
  const variants: Record<keyof OverheadResult['gateway'], () => Promise<unknown>> = {
    rawGet: async () => (await fetch(url, { headers: { 'x-api-key': apiKey, accept: 'application/json' } })).json(),
    clientGet: () => client.getVariable(id, 'cart', 'n'),
    rawPut: async () =>
      (
        await fetch(url, {
          method: 'PUT',
          headers: { 'x-api-key': apiKey, 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': `raw-${process.pid}-${key++}` },
          body: JSON.stringify({ value: key }),
        })
      ).json(),
    clientPut: () => client.setVariable(id, 'cart', 'n', key++),
  };
  const names = Object.keys(variants) as (keyof typeof variants)[];
  for (const name of names) for (let i = 0; i < 100; i++) await variants[name]();
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<keyof typeof variants, number[]>;
  const block = 50;
  log(`overhead against the gateway: ${calls} calls per variant in blocks of ${block} ...`);
  for (let done = 0; done < calls; done += block) {
    // Rotate the order each round, so no variant always runs first.
    const round = done / block;
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!;
      for (let i = 0; i < block; i++) samples[name].push(await timeUs(variants[name]));
    }
  }
  client.close();

  // In process: the same calls with a fetch that answers at once.
  const body = JSON.stringify({ value: 1, version: 3 });
  const instant: FetchLike = async () => ({ status: 200, text: async () => body });
  const local = new ForesightClient({ baseUrl: 'http://in-process', apiKey, fetch: instant, checkContract: false, agent: { reportIntervalMs: 0 } });
  const n = calls * 10;
  const runs = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < 1000; i++) await fn();
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    return Number(process.hrtime.bigint() - started) / 1000 / n;
  };
  const rawUs = await runs(async () =>
    JSON.parse(await (await instant(url, { method: 'GET', headers: { 'x-api-key': apiKey }, signal: new AbortController().signal })).text()),
  );
  const clientUs = await runs(() => local.getVariable(id, 'cart', 'n'));
  local.close();
  const round2 = (v: number) => Math.round(v * 100) / 100;
  return {
    gateway: Object.fromEntries(names.map((nm) => [nm, latency(samples[nm])])) as OverheadResult['gateway'],
    inProcess: { rawUs: round2(rawUs), clientUs: round2(clientUs) },
    calls,
  };
}
