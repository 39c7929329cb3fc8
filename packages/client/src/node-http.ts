import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { FetchLike } from './transport.js';

export interface NodeHttpOptions {
  /** Idle connections kept per gateway for the next call (default 64). */
  readonly maxFreeSockets?: number;
}

/** Where the free sockets and the request function of one scheme live. */
interface Scheme {
  readonly agent: HttpAgent;
  readonly request: typeof httpRequest;
}

/**
 * The client's transport in Node: node:http(s) with keep-alive connections. Node 20's global `fetch`
 * (undici) costs several times more CPU per call (web streams, a Request and a Response object,
 * header guards) for what the client uses of it — a status and a body as text — and on a server
 * that calls the gateway a few times per page that CPU is the page's own. Failures are thrown as
 * `fetch` throws them (a TypeError whose `cause` carries the socket's error code), so the
 * transport's retry and error mapping see the same thing with either.
 */
export function nodeHttpFetch(options: NodeHttpOptions = {}): FetchLike & { close(): void } {
  const agentOptions = { keepAlive: true, maxFreeSockets: options.maxFreeSockets ?? 64, scheduling: 'lifo' as const };
  const schemes: Record<string, Scheme> = {
    'http:': { agent: new HttpAgent(agentOptions), request: httpRequest },
    'https:': { agent: new HttpsAgent(agentOptions), request: httpsRequest },
  };
  const fetchLike: FetchLike = (url, init) =>
    new Promise((resolve, reject) => {
      const scheme = schemes[url.startsWith('https:') ? 'https:' : 'http:']!;
      const headers: Record<string, string | number> = { ...init.headers };
      if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
      let settled = false;
      const fail = (cause: unknown) => {
        if (settled) return;
        settled = true;
        reject(init.signal.aborted ? init.signal.reason : new TypeError('fetch failed', { cause }));
      };
      const req = scheme.request(url, { method: init.method, headers, agent: scheme.agent, signal: init.signal }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', fail);
        res.once('aborted', () => fail(new Error('the gateway closed the connection before the whole answer arrived')));
        res.once('end', () => {
          if (settled) return;
          settled = true;
          const text = Buffer.concat(chunks).toString('utf8');
          const get = (name: string): string | null => {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          };
          resolve({ status: res.statusCode ?? 0, headers: { get }, text: () => Promise.resolve(text) });
        });
      });
      req.once('error', fail);
      req.end(init.body);
    });
  return Object.assign(fetchLike, {
    close(): void {
      for (const s of Object.values(schemes)) s.agent.destroy();
    },
  });
}
