import { backoffDelay, type RetryPolicy } from './backoff.js';
import type { TokenPair } from './generated/contract.js';
import type { TokenManager } from './tokens.js';

/** What the client needs of a WebSocket: the browser's, or the `ws` package's in Node. */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export type PushEvent =
  | { readonly type: 'connected' }
  | { readonly type: 'ready'; readonly generation: number }
  | { readonly type: 'disconnected'; readonly code: number }
  | { readonly type: 'stopped'; readonly reason: string };

export interface TokenPushOptions {
  /** The gateway's base URL (http or https; ws or wss is derived). */
  readonly gateway: () => string;
  readonly sessionId: string;
  readonly tokens: TokenManager;
  readonly webSocket: WebSocketFactory;
  /** Back-off between reconnects. */
  readonly reconnect?: RetryPolicy;
  readonly onEvent?: (event: PushEvent) => void;
}

const RECONNECT: RetryPolicy = { maxAttempts: Number.POSITIVE_INFINITY, baseDelayMs: 250, maxDelayMs: 10_000 };

/** Close codes after which reconnecting cannot help. */
const FATAL = new Map([
  [4403, 'the access token belongs to another session'],
  [4400, 'the gateway refused a message of this client'],
]);

/**
 * The client half of the token WebSocket: authenticates with the current access token (in the first
 * message, so the token stays out of URLs and logs), hands every pushed pair to the token manager and
 * acknowledges it, and reconnects with back-off when the connection drops. The gateway pushes an
 * unacknowledged pair again after a reconnect, so none is lost in between.
 */
export class TokenPushSocket {
  private socket: WebSocketLike | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private stopped = false;

  constructor(private readonly options: TokenPushOptions) {
    options.tokens.on((event) => {
      if (event.type === 'revoked') this.stop('revoked');
    });
  }

  start(): void {
    if (!this.stopped && !this.socket && !this.timer) void this.connect();
  }

  stop(reason = 'closed'): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.socket?.close(1000, reason);
    this.socket = undefined;
    this.options.onEvent?.({ type: 'stopped', reason });
  }

  /** Drops the connection as a network failure would (the next one resumes): for tests and diagnostics. */
  drop(): void {
    this.socket?.close(4000, 'dropped');
  }

  private async connect(): Promise<void> {
    this.timer = undefined;
    let token: string;
    try {
      token = await this.options.tokens.accessToken();
    } catch {
      if (this.options.tokens.error) return this.stop(this.options.tokens.error.code);
      return this.retryLater();
    }
    if (this.stopped) return;
    const url = `${this.options.gateway().replace(/^http/, 'ws')}/v1/sessions/${encodeURIComponent(this.options.sessionId)}/tokens/ws`;
    let ws: WebSocketLike;
    try {
      ws = this.options.webSocket(url);
    } catch {
      return this.retryLater();
    }
    this.socket = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'auth', accessToken: token }));
      this.options.onEvent?.({ type: 'connected' });
    };
    ws.onmessage = (event) => this.onMessage(ws, event.data);
    ws.onerror = () => undefined; // onclose follows and decides
    ws.onclose = (event) => {
      if (this.socket !== ws) return;
      this.socket = undefined;
      this.options.onEvent?.({ type: 'disconnected', code: event.code });
      if (this.stopped) return;
      const fatal = FATAL.get(event.code);
      if (fatal) return this.stop(fatal);
      this.retryLater();
    };
  }

  private onMessage(ws: WebSocketLike, data: unknown): void {
    let message: { type?: unknown; generation?: unknown; pair?: unknown };
    try {
      message = JSON.parse(typeof data === 'string' ? data : String(data)) as typeof message;
    } catch {
      return;
    }
    if (message.type === 'ready') {
      this.failures = 0;
      this.options.onEvent?.({ type: 'ready', generation: Number(message.generation) });
    } else if (message.type === 'tokens' && typeof message.pair === 'object' && message.pair !== null) {
      const pair = message.pair as TokenPair;
      this.options.tokens.offer(pair);
      // Acknowledged even when already known: the gateway stops pushing it again.
      ws.send(JSON.stringify({ type: 'ack', generation: pair.generation }));
    } else if (message.type === 'revoked') {
      this.options.tokens.markRevoked();
    }
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.failures++;
    this.timer = setTimeout(() => void this.connect(), Math.max(50, backoffDelay(this.failures, this.options.reconnect ?? RECONNECT, Math.random)));
    (this.timer as { unref?: () => void }).unref?.();
  }
}
