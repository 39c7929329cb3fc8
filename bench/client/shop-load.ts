import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, waitFor } from '../../scripts/infra/ports';
import type { StoreName } from './cli';

/** One store's row: the example shop's session page under load. */
export interface ShopResult {
  readonly store: StoreName;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly durationS: number;
  /** CPU of the load generator (this process), % of one core: near 100 means it was the limit. */
  readonly loadGenCpuPct: number;
}

export interface ShopProcess {
  readonly url: string;
  stop(): Promise<void>;
}

const SHOP = join(__dirname, '..', '..', 'examples', 'express-shop', 'src', 'main.js');

/** Starts the example shop in its own process with the given session store, and waits until it answers. */
export async function startShop(store: StoreName, env: Readonly<Record<string, string>>): Promise<ShopProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [SHOP], {
    env: { ...process.env, ...env, SESSION_STORE: store, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitFor(`express-shop (${store})`, async () => (await fetch(`${url}/`)).ok, 30_000, 100),
    exited.then(() => Promise.reject(new Error(`the express-shop with the ${store} store exited before it answered`))),
  ]);
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Opens `count` sessions (one cookie each) through the page itself. */
export async function openSessions(url: string, count: number): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < count; i += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, count - i) }, async () => {
        const r = await fetch(`${url}/account`);
        const cookie = r.headers.get('set-cookie')?.split(';')[0];
        await r.arrayBuffer();
        if (r.status !== 200 || !cookie) throw new Error(`the shop answered ${r.status} without a session cookie`);
        return cookie;
      }),
    );
    cookies.push(...batch);
  }
  return cookies;
}

/** autocannon on `/account` (one session read, one write), each request with a random session's cookie. */
export async function loadShop(
  store: StoreName,
  url: string,
  cookies: readonly string[],
  connections: number,
  durationS: number,
  random: () => number,
): Promise<ShopResult> {
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const result = await autocannon({
    url,
    connections,
    duration: durationS,
    requests: [
      {
        method: 'GET',
        path: '/account',
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, cookie: cookies[Math.floor(random() * cookies.length)]! } }),
      },
    ],
  });
  const cpu = process.cpuUsage(cpuBefore);
  const wallUs = Number(process.hrtime.bigint() - wallBefore) / 1000;
  return {
    store,
    rps: Math.round(result['2xx'] / result.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    durationS: result.duration,
    loadGenCpuPct: Math.round((100 * (cpu.user + cpu.system)) / wallUs),
  };
}
