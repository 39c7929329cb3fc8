import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';

/** The sum of a Prometheus counter's series as a service exposes it on /metrics (0 when absent). */
export async function counterSum(serviceUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Asserts the documented error envelope: `{"error": {code, message, correlationId[, details]}}` and nothing else. */
export function expectEnvelope(r: { status: number; body: unknown }, status: number, code: string): void {
  const body = r.body as { error?: Record<string, unknown> };
  expect([r.status, body.error?.code]).toEqual([status, code]);
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error!).filter((k) => !['code', 'message', 'correlationId', 'details'].includes(k))).toEqual([]);
  expect(typeof body.error!.message === 'string' && body.error!.message.length > 10).toBe(true);
  expect(typeof body.error!.correlationId === 'string' && body.error!.correlationId.length > 0).toBe(true);
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: unknown;
}

/**
 * Sends bytes over a plain TCP connection (for requests fetch will not send or whose early answer
 * it loses: oversized headers, broken HTTP, an upload cut off half way, a body refused before it is
 * all sent) and parses the one response that comes back. Send `connection: close`.
 */
export async function rawHttp(url: string, head: string, options: { body?: string; afterContinue?: string; abort?: boolean } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const socket = tcpConnect(Number(port), hostname);
  socket.on('error', () => undefined); // the gateway may close while we still write
  // Not events.once: it would reject on the write error above.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let received = Buffer.alloc(0);
  let continued = false;
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    if (options.afterContinue !== undefined && !continued && received.toString('latin1').startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
      continued = true;
      received = received.subarray('HTTP/1.1 100 Continue\r\n\r\n'.length);
      socket.write(options.afterContinue, () => {
        if (options.abort) socket.destroy();
      });
    }
  });
  await once(socket, 'connect');
  socket.write(head);
  // The gateway may answer (and close) before the whole body is sent, as it does to a body over its limit.
  if (options.body !== undefined) socket.write(options.body);
  await closed;
  const text = received.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: new Map(), body: undefined };
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
  const raw = text.slice(end + 4);
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    /* not JSON: left as text for the assertion to show */
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body };
}
