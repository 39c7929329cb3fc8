import { ErrorCodes, ForesightError, type TokenPair } from '@foresight/contracts';
import type { AccessTokenClaims } from '@foresight/token-core';
import { CloseCodes, TokenSocketHub, type HubDeps, type SocketLike } from './token-socket-hub';

const FAMILY = '2f1c0a4e-8a0b-4c8e-9b7e-1d2a3b4c5d6e';

class FakeSocket implements SocketLike {
  sent: Record<string, unknown>[] = [];
  closed: { code: number; reason: string } | undefined;
  private listeners: Record<string, ((data?: unknown) => void)[]> = {};
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
    this.emit('close');
  }
  on(event: string, listener: (data?: unknown) => void) {
    (this.listeners[event] ??= []).push(listener);
    return this;
  }
  emit(event: string, data?: unknown) {
    for (const l of this.listeners[event] ?? []) l(data);
  }
}

const pair = (generation: number): TokenPair => ({
  tokenType: 'Bearer',
  accessToken: `access-${generation}`,
  accessExpiresAt: '2030-01-01T00:00:00.000Z',
  refreshToken: `refresh-${generation}`,
  refreshExpiresAt: '2030-01-02T00:00:00.000Z',
  generation,
});

const claims = (sid: string, generation: number): AccessTokenClaims => ({ sub: 'u', sid, jti: `${FAMILY}.${generation}`, iat: 1, exp: 2, iss: 'i', aud: 'a' });

function setup(over: Partial<HubDeps> = {}) {
  const state = { pending: null as TokenPair | null, acks: [] as number[], follows: [] as string[], revoked: false };
  const hub = new TokenSocketHub({
    verify: async (token) => {
      if (token === 'bad') throw new ForesightError(ErrorCodes.TOKEN_EXPIRED, 'expired');
      const [sid, gen] = token.split(':');
      return claims(sid, Number(gen));
    },
    pending: async (_s, _f, have) => (state.pending && state.pending.generation > have ? state.pending : null),
    ack: async (_s, _f, g) => state.acks.push(g),
    follow: (s) => state.follows.push(`+${s}`),
    unfollow: (s) => state.follows.push(`-${s}`),
    isFamilyRevoked: () => state.revoked,
    authTimeoutMs: 50,
    onError: (e) => {
      throw e;
    },
    ...over,
  });
  return { hub, state };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('TokenSocketHub', () => {
  it('authenticates by query token, resumes with the waiting pair, pushes announced pairs once, and records acks', async () => {
    const { hub, state } = setup();
    state.pending = pair(1);
    const socket = new FakeSocket();
    hub.accept(socket, 's1', 's1:0');
    await tick();
    expect(socket.sent).toEqual([
      { type: 'ready', generation: 0 },
      { type: 'tokens', pair: pair(1) },
    ]);
    socket.emit('message', JSON.stringify({ type: 'ack', generation: 1 }));
    await tick();
    expect(state.acks).toEqual([1]);

    state.pending = pair(2);
    hub.onNotice('s1', FAMILY, 2);
    hub.onNotice('s1', FAMILY, 2);
    hub.onNotice('s1', 'another-family', 3);
    await tick();
    expect(socket.sent.filter((m) => m.type === 'tokens').map((m) => (m.pair as TokenPair).generation)).toEqual([1, 2]);
    expect(state.follows).toEqual(['+s1']);
    socket.close(1000, 'bye');
    expect(state.follows).toEqual(['+s1', '-s1']);
    expect(hub.connections).toBe(0);
  });

  it('accepts the token as a first message instead', async () => {
    const { hub } = setup();
    const socket = new FakeSocket();
    hub.accept(socket, 's1', undefined);
    socket.emit('message', JSON.stringify({ type: 'auth', accessToken: 's1:3' }));
    await tick();
    expect(socket.sent).toEqual([{ type: 'ready', generation: 3 }]);
  });

  it('closes with 4401 and the code for a bad token, 4403 for another session, 4408 without auth, 4400 for garbage', async () => {
    const { hub } = setup();
    const bad = new FakeSocket();
    hub.accept(bad, 's1', 'bad');
    const other = new FakeSocket();
    hub.accept(other, 's1', 's2:0');
    const silent = new FakeSocket();
    hub.accept(silent, 's1', undefined);
    const garbage = new FakeSocket();
    hub.accept(garbage, 's1', 's1:0');
    await tick();
    garbage.emit('message', 'not json');
    await new Promise((r) => setTimeout(r, 80));
    expect(bad.closed).toEqual({ code: CloseCodes.unauthenticated, reason: ErrorCodes.TOKEN_EXPIRED });
    expect(other.closed).toEqual({ code: CloseCodes.forbidden, reason: ErrorCodes.FORBIDDEN });
    expect(silent.closed).toEqual({ code: CloseCodes.authTimeout, reason: 'AUTH.TIMEOUT' });
    expect(garbage.closed).toEqual({ code: CloseCodes.badMessage, reason: ErrorCodes.VALIDATION });
    expect(hub.connections).toBe(0);
  });

  it('tells and closes the sockets of a revoked family', async () => {
    const { hub } = setup();
    const socket = new FakeSocket();
    hub.accept(socket, 's1', 's1:0');
    await tick();
    hub.onRevoked(FAMILY);
    expect(socket.sent.at(-1)).toEqual({ type: 'revoked', code: ErrorCodes.TOKEN_REVOKED });
    expect(socket.closed).toEqual({ code: CloseCodes.unauthenticated, reason: ErrorCodes.TOKEN_REVOKED });
  });
});
