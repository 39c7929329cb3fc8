import helmet from 'helmet';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HELMET_OPTIONS, securityHeaders } from './security-headers';

/** The headers computed once are the ones helmet sets when it runs on a real response. */
describe('securityHeaders', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const middleware = helmet(HELMET_OPTIONS);
    server = createServer((req, res) => middleware(req, res, () => res.end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('equal what helmet sets per request', async () => {
    const res = await fetch(url);
    const computed = new Map(securityHeaders());
    const fromHelmet = new Map<string, string>();
    for (const name of computed.keys()) fromHelmet.set(name, res.headers.get(name) ?? '(missing)');
    expect(computed.size).toBeGreaterThanOrEqual(10);
    expect(computed).toEqual(fromHelmet);
  });

  it('carry the gateway policy: no framing, no upgrade of plain-HTTP requests', () => {
    const csp = new Map(securityHeaders()).get('content-security-policy');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('refuse a policy helmet refuses, at start-up', () => {
    expect(() => securityHeaders({ contentSecurityPolicy: { directives: { 'default-src': ['self'] } } })).toThrow();
  });
});
