import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The kernel's ephemeral port range (outgoing connections take their local port from it). */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** Linux's default when the range cannot be read. */
const DEFAULT_EPHEMERAL: PortRange = { first: 32768, last: 60999 };
/** Ports below this are left to system services. */
const LOWEST = 10_000;
/** Random candidates tried before asking the kernel for any free port. */
const ATTEMPTS = 64;

/** `first last` as in /proc/sys/net/ipv4/ip_local_port_range; undefined when unreadable. */
export function parsePortRange(text: string): PortRange | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  return first >= 1 && first <= last && last <= 65535 ? { first, last } : undefined;
}

function ephemeralRange(): PortRange {
  try {
    return parsePortRange(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')) ?? DEFAULT_EPHEMERAL;
  } catch {
    return DEFAULT_EPHEMERAL;
  }
}

/**
 * Where to look for a listening port: below the ephemeral range, so an outgoing connection made
 * between choosing the port and binding it cannot take it; undefined when there is no room below.
 */
export function listeningRange(ephemeral: PortRange): PortRange | undefined {
  const last = ephemeral.first - 1;
  const first = last - LOWEST >= 1000 ? LOWEST : 1024;
  return last - first >= 100 ? { first, last } : undefined;
}

/** A random port of `range` not in `taken`. */
export function pickPort(range: PortRange, taken: ReadonlySet<number>, random: () => number = Math.random): number {
  for (;;) {
    const port = range.first + Math.floor(random() * (range.last - range.first + 1));
    if (!taken.has(port)) return port;
  }
}

/** Whether `port` can be bound now on every IPv4 address (so also on 127.0.0.1). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Ports this process handed out, never handed out twice. */
const handedOut = new Set<number>();

/**
 * A TCP port that was free a moment ago, for a service started next. Chosen at random below the
 * kernel's ephemeral range and checked with a bind: a port from the ephemeral range (what binding
 * port 0 gives) can be taken by any outgoing connection before a slow-starting service binds it.
 */
export async function freePort(): Promise<number> {
  const range = listeningRange(ephemeralRange());
  if (range) {
    for (let i = 0; i < ATTEMPTS; i++) {
      const port = pickPort(range, handedOut);
      handedOut.add(port);
      if (await bindable(port)) return port;
    }
  }
  const port = await anyFreePort();
  handedOut.add(port);
  return port;
}

/** Resolves when `probe` succeeds, or rejects after `timeoutMs`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
