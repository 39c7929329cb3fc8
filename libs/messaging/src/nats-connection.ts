import { inboxPrefix } from '@foresight/contracts';
import { connect, nkeyAuthenticator, type NatsConnection } from 'nats';

export interface NatsOptions {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  /** The user's nkey seed: the connection signs the server's nonce with it instead of sending a password. */
  readonly nkeySeed?: string;
  /** TLS to the server, required when given: CA and optional client certificate (PEM texts). */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  /** Shown in the server's connection list (service + node). */
  readonly name: string;
  /**
   * Prefix of this connection's reply subjects. Defaults to `_INBOX.<user>` when a user is given: each
   * user may subscribe only to its own inbox (ADR 0005).
   */
  readonly inboxPrefix?: string;
  /** Refuse a server whose max_payload is smaller: the service's limits assume messages this large fit. */
  readonly requiredMaxPayloadBytes?: number;
  /** Gather the messages of one event-loop turn into one socket write (see {@link coalesceWrites}); default on. */
  readonly coalesceWrites?: boolean;
}

/** Connects to NATS and keeps reconnecting forever; the caller drains it on shutdown. */
export async function connectNats(options: NatsOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: [...options.servers],
    // With an nkey the user name only names the inbox; the server knows the user by its public key.
    ...(options.nkeySeed !== undefined
      ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(options.nkeySeed)) }
      : { user: options.user, pass: options.password }),
    ...(options.tls ? { tls: { ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key } } : {}),
    name: options.name,
    inboxPrefix: options.inboxPrefix ?? (options.user && /^[A-Za-z0-9_-]{1,64}$/.test(options.user) ? inboxPrefix(options.user) : undefined),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    timeout: 5000,
    // nats.js otherwise creates an Error per request to keep async stack traces: measurable on the hot path.
    noAsyncTraces: true,
  });
  if (options.coalesceWrites !== false) coalesceWrites(nc);
  const carried = nc.info?.max_payload;
  const required = options.requiredMaxPayloadBytes;
  if (required !== undefined && carried !== undefined && carried < required) {
    await nc.close();
    throw new Error(
      `the NATS server carries at most ${carried} bytes per message (max_payload) but NATS_MAX_PAYLOAD_BYTES is ${required}: ` +
        `raise max_payload on the server, or lower NATS_MAX_PAYLOAD_BYTES (with HTTP_BODY_LIMIT_BYTES and SESSION_MAX_VARIABLE_BYTES under it)`,
    );
  }
  return nc;
}

/** The parts of nats.js's protocol handler (nats 2.x) that {@link coalesceWrites} replaces or calls. */
interface ProtocolInternals {
  outbound: { size(): number; fill(...buffers: Uint8Array[]): void };
  pendingLimit: number;
  flushPending(): void;
  sendCommand(cmd: string | Uint8Array, ...payloads: Uint8Array[]): void;
  close(err?: Error): Promise<void>;
}

const utf8 = new TextEncoder();

/**
 * Sends the messages produced during one turn of the event loop in one socket write. nats.js
 * buffers outgoing protocol lines but flushes them in a microtask, so each request, reply or
 * publish made from its own I/O callback (one per HTTP request, one per commit) costs a write
 * system call of its own: the largest single item in the gateway's and the shard node's CPU
 * profiles under write load. Here the flush waits for `setImmediate`, which runs right after the
 * I/O callbacks of the current turn: the same bytes in the same order, one write for all of them.
 * A buffer past the client's pending limit is still written at once, and closing writes what is
 * buffered first. Returns false (and changes nothing) when the client is not the nats.js 2.x this
 * was written against.
 */
export function coalesceWrites(nc: NatsConnection): boolean {
  const protocol = (nc as unknown as { protocol?: Partial<ProtocolInternals> }).protocol;
  if (
    !protocol ||
    typeof protocol.sendCommand !== 'function' ||
    typeof protocol.flushPending !== 'function' ||
    typeof protocol.close !== 'function' ||
    typeof protocol.outbound?.fill !== 'function' ||
    typeof protocol.outbound.size !== 'function' ||
    typeof protocol.pendingLimit !== 'number'
  ) {
    return false;
  }
  const p = protocol as ProtocolInternals;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    p.flushPending();
  };
  p.sendCommand = (cmd, ...payloads) => {
    p.outbound.fill(typeof cmd === 'string' ? utf8.encode(cmd) : cmd, ...payloads);
    if (p.outbound.size() >= p.pendingLimit) p.flushPending();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const close = p.close.bind(p);
  p.close = (err) => {
    p.flushPending();
    return close(err);
  };
  return true;
}
