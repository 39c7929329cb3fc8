import type { OverheadResult } from './overhead';
import type { ShopResult } from './shop-load';

const pad = (s: string, n: number) => s.padEnd(n);
const num = (v: number, digits = 0) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The two tables of a run: the client's overhead per call, and the shop per session store. */
export function renderReport(overhead: OverheadResult | undefined, shop: readonly ShopResult[]): string {
  const lines: string[] = [];
  if (overhead) {
    const g = overhead.gateway;
    lines.push(`@foresight/client against raw fetch, same gateway (${num(overhead.calls)} sequential calls each, µs)`, '');
    lines.push(`| call | raw fetch mean | client mean | overhead mean | raw p50 | client p50 | overhead p50 |`, '|---|---|---|---|---|---|---|');
    for (const [op, raw, cl] of [
      ['GET variable', g.rawGet, g.clientGet],
      ['PUT variable', g.rawPut, g.clientPut],
    ] as const) {
      lines.push(
        `| ${op} | ${num(raw.meanUs)} | ${num(cl.meanUs)} | ${num(cl.meanUs - raw.meanUs)} | ${num(raw.p50Us)} | ${num(cl.p50Us)} | ${num(cl.p50Us - raw.p50Us)} |`,
      );
    }
    lines.push(
      '',
      `in process (instant fetch, no network): raw ${num(overhead.inProcess.rawUs, 2)} µs, client ${num(overhead.inProcess.clientUs, 2)} µs per call, ` +
        `overhead ${num(overhead.inProcess.clientUs - overhead.inProcess.rawUs, 2)} µs`,
      '',
    );
  }
  if (shop.length > 0) {
    lines.push('examples/express-shop, GET /account (express-session: one read, one write per request)', '');
    lines.push(`| ${pad('session store', 34)} | req/s | p50 ms | p99 ms | errors | non-2xx | load gen CPU % |`, '|---|---|---|---|---|---|---|');
    const names: Record<string, string> = {
      foresight: '@foresight/express-session',
      redis: 'connect-redis (redis-server)',
      postgres: 'connect-pg-simple (same Postgres)',
    };
    for (const r of shop) {
      lines.push(
        `| ${pad(names[r.store] ?? r.store, 34)} | ${num(r.rps)} | ${num(r.p50Ms)} | ${num(r.p99Ms)} | ${r.errors} | ${r.non2xx} | ${r.loadGenCpuPct} |`,
      );
    }
  }
  return lines.join('\n');
}
