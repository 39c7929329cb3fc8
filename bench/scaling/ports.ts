import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The kernel's range of ports for outgoing connections (`ip_local_port_range`); the usual default off Linux. */
export function ephemeralRange(text?: string): { low: number; high: number } {
  let source = text;
  if (source === undefined) {
    try {
      source = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    } catch {
      source = '';
    }
  }
  const [low, high] = source.trim().split(/\s+/).map(Number);
  return low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high) && low > 1024 && high >= low
    ? { low, high }
    : { low: 32_768, high: 60_999 };
}

/** A candidate port below the ephemeral range (and above the privileged one), from a number in [0, 1). */
export function portBelowRange(range: { low: number }, random: number): number {
  const floor = 10_000 < range.low ? 10_000 : 1_025;
  return floor + Math.floor(random * (range.low - floor));
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port outside the ephemeral range. A service that takes tens of seconds to start on a busy
 * machine otherwise risks finding its port taken by some outgoing connection meanwhile (and the
 * health check reaching another program).
 */
export async function stablePort(attempts = 50): Promise<number> {
  const range = ephemeralRange();
  for (let i = 0; i < attempts; i++) {
    const port = portBelowRange(range, Math.random());
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port below ${range.low} after ${attempts} attempts`);
}
