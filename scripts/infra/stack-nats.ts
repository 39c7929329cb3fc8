import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, nkeyAuthenticator } from 'nats';
import type { NatsIdentity, NatsRole } from '@foresight/contracts';
import { NatsCredentials, type NatsLogin } from './nats-credentials';
import { startNatsServer, type LocalNats } from './nats-server';
import { waitFor } from './ports';

/** The NATS of a local stack: its own nats-server with per-service users, or a server given by URL. */
export interface StackNats {
  readonly url: string;
  /** The config file holding this run's users and public nkeys (own server only). */
  readonly configFile?: string;
  /** The identity a service process connects as. */
  identityOf(app: string, name: string): NatsIdentity | undefined;
  /** NATS_USER / NATS_NKEY_SEED for that identity, adding a shard node's user (and reloading) first if new. */
  envFor(identity: NatsIdentity | undefined): Promise<Record<string, string>>;
  /** Login of an identity (tests connect as a service would); undefined with a server given by URL. */
  login(identity: NatsIdentity): NatsLogin | undefined;
  /** Permission violations the server has logged so far (own server, with a log folder). */
  violations(): string[];
  /** Stops and restarts the stack's own nats-server (same port, store and users); refused for a server given by URL. */
  restart(options?: { downMs?: number; signal?: NodeJS.Signals }): Promise<void>;
  stop(): Promise<void>;
}

const ROLE_OF_APP: Readonly<Record<string, NatsRole>> = {
  gateway: 'gateway',
  metadata: 'metadata',
  prediction: 'prediction',
  token: 'token',
  affinity: 'affinity',
  'origin-example': 'origin',
};

/**
 * Starts nats-server with JetStream and one user per service from the permission table (random
 * nkeys), unless `url` names a server to use as it is (then services get no credentials from here).
 */
export async function startStackNats(options: { url?: string; namespace: string; storeDir?: string; port?: number; logDir?: string }): Promise<StackNats> {
  const identityOf = (app: string, name: string): NatsIdentity | undefined =>
    app === 'shard' ? { role: 'shard', nodeId: name } : ROLE_OF_APP[app] ? { role: ROLE_OF_APP[app] } : undefined;
  if (options.url) {
    return {
      url: options.url,
      identityOf,
      envFor: async () => ({}),
      login: () => undefined,
      violations: () => [],
      restart: () => Promise.reject(new Error('this stack uses a nats-server given by URL; it cannot restart it')),
      stop: async () => undefined,
    };
  }
  const credentials = new NatsCredentials(options.namespace);
  const logFile = options.logDir ? join(options.logDir, 'nats-server.log') : undefined;
  const server: LocalNats = await startNatsServer({ storeDir: options.storeDir, port: options.port, accounts: () => credentials.accounts(), logFile });
  let reloading: Promise<void> = Promise.resolve();
  return {
    url: server.url,
    configFile: server.configFile,
    identityOf,
    async envFor(identity) {
      if (!identity) return {};
      if (!credentials.has(identity)) {
        const login = credentials.add(identity);
        // Reloads one at a time; the new user exists once it can log in.
        reloading = reloading
          .catch(() => undefined)
          .then(async () => {
            server.reload();
            await waitFor(`NATS user ${login.user} after a config reload`, () => canLogIn(server.url, login), 20_000, 100);
          });
        await reloading;
      }
      return credentials.env(identity);
    },
    login: (identity) => (credentials.has(identity) ? credentials.login(identity) : undefined),
    violations: () =>
      logFile && existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .split('\n')
            .filter((l) => /(Publish|Subscription) Violation/.test(l))
        : [],
    restart: (restartOptions) => server.restart(restartOptions),
    stop: () => server.stop(),
  };
}

async function canLogIn(url: string, login: NatsLogin): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, authenticator: nkeyAuthenticator(new TextEncoder().encode(login.seed)), timeout: 1000, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}
