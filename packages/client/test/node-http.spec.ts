import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTRACT_VERSION } from '../src/generated/contract';
import { ConnectionError, DeadlineExceededError } from '../src/errors';
import { ForesightClient, nodeHttpFetch } from '../src/index';
import { DEFAULT_RETRY } from '../src/backoff';
import { Transport } from '../src/transport';

/** A loopback HTTP server that records what it was sent and how many connections it saw. */
async function gateway(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handle(req, body, res);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    server,
  };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('nodeHttpFetch', () => {
  const fetchLike = nodeHttpFetch();
  afterAll(() => fetchLike.close());

  it('sends method, headers and body, returns status and text, and keeps one connection for calls in a row', async () => {
    const g = await gateway((_req, body, res) => json(res, 201, { echo: body }));
    try {
      for (let i = 0; i < 3; i++) {
        const r = await fetchLike(`${g.url}/v1/x?i=${i}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
          body: '{"value":"é"}',
          signal: new AbortController().signal,
        });
        expect(r.status).toBe(201);
        expect(JSON.parse(await r.text())).toEqual({ echo: '{"value":"é"}' });
      }
      expect(g.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['PUT /v1/x?i=0', 'PUT /v1/x?i=1', 'PUT /v1/x?i=2']);
      expect(g.seen[0]!.headers).toMatchObject({ 'x-api-key': 'k', 'content-length': String(Buffer.byteLength('{"value":"é"}')) });
      expect(g.connections()).toBe(1);
    } finally {
      await g.close();
    }
  });

  it('decodes a UTF-8 answer split inside a character', async () => {
    const text = JSON.stringify({ v: '€'.repeat(3) });
    const bytes = Buffer.from(text, 'utf8');
    const g = await gateway((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // The first chunk ends in the middle of a three-byte euro sign.
      res.write(bytes.subarray(0, 8));
      setTimeout(() => res.end(bytes.subarray(8)), 10);
    });
    try {
      const r = await fetchLike(`${g.url}/`, { method: 'GET', headers: {}, signal: new AbortController().signal });
      expect(await r.text()).toBe(text);
    } finally {
      await g.close();
    }
  });

  it('fails as fetch does when nothing listens, so the transport retries it as a lost connection', async () => {
    const g = await gateway(() => undefined);
    await g.close();
    const error = await fetchLike(`${g.url}/`, { method: 'GET', headers: {}, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    const t = new Transport({
      gateways: [g.url],
      fetch: fetchLike,
      credentials: { headers: () => ({}) },
      timeoutMs: 5000,
      attemptTimeoutMs: 5000,
      retry: { ...DEFAULT_RETRY, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const mapped = await t.call('SessionsController_get', { params: { id: 's' } }).catch((e: unknown) => e);
    expect(mapped).toBeInstanceOf(ConnectionError);
    expect((mapped as Error).message).toContain('ECONNREFUSED');
  });

  it('abandons an attempt when its signal fires (the deadline), and the connection is not reused', async () => {
    const g = await gateway(() => undefined); // never answers
    try {
      const t = new Transport({
        gateways: [g.url],
        fetch: fetchLike,
        credentials: { headers: () => ({}) },
        timeoutMs: 150,
        attemptTimeoutMs: 150,
        retry: { ...DEFAULT_RETRY, maxAttempts: 1 },
      });
      const error = await t.call('SessionsController_get', { params: { id: 's' } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeadlineExceededError);
    } finally {
      g.server.closeAllConnections();
      await g.close();
    }
  });
});

describe('the Node entry point', () => {
  it('calls the gateway over node:http with kept-alive connections, not the global fetch', async () => {
    const g = await gateway((req, _body, res) =>
      req.url === '/v1/contract' ? json(res, 200, { contractVersion: CONTRACT_VERSION, limits: undefined }) : json(res, 200, { version: 7 }),
    );
    const original = globalThis.fetch;
    const globalFetch = jest.fn(original);
    globalThis.fetch = globalFetch as unknown as typeof fetch;
    const client = new ForesightClient({ baseUrl: g.url, apiKey: 'k', agent: false, checkContract: false });
    try {
      for (let i = 0; i < 5; i++) await expect(client.getSession('a')).resolves.toEqual({ version: 7 });
      expect(globalFetch).not.toHaveBeenCalled();
      expect(g.seen).toHaveLength(5);
      expect(g.connections()).toBe(1);
    } finally {
      globalThis.fetch = original;
      client.close();
      await g.close();
    }
  });
});
