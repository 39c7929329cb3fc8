import type { RetryPolicy } from './backoff.js';
import { ConfigurationError } from './errors.js';
import type { TokenPair } from './generated/contract.js';
import type { PushEvent, WebSocketFactory } from './token-socket.js';
import type { FetchLike } from './transport.js';

export interface AgentSettings {
  /** Report every this many ms (default: what the gateway asks, 30 s); 0 = only on demand. */
  readonly reportIntervalMs?: number;
  /** This client instance's id in reports (default: random). */
  readonly clientId?: string;
  /** Rolling window: `slots` × `slotMs` (default 12 × 5 s). */
  readonly slotMs?: number;
  readonly slots?: number;
}

export interface ClientOptions {
  /** A gateway's base URL, or several: the client moves to the next when one does not answer. */
  readonly baseUrl: string | readonly string[];
  /** A back end's API key (`x-api-key`). Browsers use `ForesightClient.forSession` with tokens instead. */
  readonly apiKey?: string;
  /** Deadline of each call, retries included (default 10 s). */
  readonly timeoutMs?: number;
  /** Longest single attempt (default: the deadline). */
  readonly attemptTimeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Default: in Node, node:http(s) with keep-alive connections; in browsers, the page's `fetch`. */
  readonly fetch?: FetchLike;
  /** Check the gateway's contract version (and read its limits) before the first call. Default true. */
  readonly checkContract?: boolean;
  /** The agent's measurements and reports; `false` turns both off. */
  readonly agent?: AgentSettings | false;
  /** How to open the token WebSocket (the package's entry points set a default). */
  readonly webSocket?: WebSocketFactory;
}

export interface SessionClientOptions extends Omit<ClientOptions, 'apiKey'> {
  readonly sessionId: string;
  /** The pair your back end issued for the session. */
  readonly tokens: TokenPair;
  /** Keep the token WebSocket open to receive pre-minted pairs (default true). */
  readonly push?: boolean;
  readonly expiryMarginMs?: number;
  readonly onPushEvent?: (event: PushEvent) => void;
}

/** What an API key may hold: it travels in a header. */
export const VISIBLE_ASCII = /^[\x21-\x7e]{1,512}$/;

export function gatewaysOf(baseUrl: string | readonly string[]): string[] {
  const list = typeof baseUrl === 'string' ? [baseUrl] : [...baseUrl];
  if (list.length === 0) throw new ConfigurationError('baseUrl names no gateway: pass a URL such as http://127.0.0.1:3000.');
  return list.map((raw) => {
    let url: URL;
    try {
      url = new URL(String(raw));
    } catch {
      throw new ConfigurationError(`baseUrl "${String(raw).slice(0, 80)}" is not a URL: pass one such as http://127.0.0.1:3000.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ConfigurationError(`baseUrl "${url.href}" must be http: or https:, not ${url.protocol}`);
    if (url.search || url.hash || url.username || url.password)
      throw new ConfigurationError(`baseUrl "${url.origin}…" must have no query, fragment or credentials.`);
    return url.href.replace(/\/+$/, '');
  });
}

export function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new ConfigurationError(`${name} must be a positive number of milliseconds, not ${String(value)}.`);
  return value;
}
