import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, waitFor } from './ports';

export interface LocalNats {
  readonly url: string;
  readonly pid: number;
  /** The config file, when the server runs with accounts (it holds this run's public nkeys). */
  readonly configFile?: string;
  /** Rewrites the accounts from `accounts()` and has the server reload them (SIGHUP). */
  reload(): void;
  /**
   * Stops the server (SIGTERM, or the signal given), waits `downMs`, then starts it again on the same
   * port, store and config; resolves once it accepts connections (fault injection).
   */
  restart(options?: { downMs?: number; signal?: NodeJS.Signals }): Promise<void>;
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  bin?: string;
  storeDir?: string;
  port?: number;
  /**
   * The `accounts` block (see `renderNatsAccounts`); without it the server accepts anyone. Called
   * again on `reload()`, e.g. after a shard node user was added.
   */
  accounts?: () => string;
  /** Appends the server's log (connections, permission violations) to this file. */
  logFile?: string;
  /** Require TLS from clients with this certificate (needs `accounts`: the settings go in the config file). */
  tls?: { readonly certFile: string; readonly keyFile: string };
}

/** The nats-server binary: NATS_SERVER_BIN, PATH, or Debian's /usr/sbin location. */
function findNatsServer(explicit?: string): string {
  const candidates = explicit
    ? [explicit]
    : [...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'nats-server')), '/usr/sbin/nats-server', '/usr/bin/nats-server'];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new Error('nats-server not found: install it (Debian: apt-get install nats-server) or set NATS_SERVER_BIN');
  }
  return found;
}

function tcpReady(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts a loopback nats-server with JetStream in its own store directory, with accounts when given. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<LocalNats> {
  const bin = findNatsServer(options.bin);
  const port = options.port ?? (await freePort());
  const ownDir = !options.storeDir;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'foresight-nats-'));
  mkdirSync(storeDir, { recursive: true });
  const accounts = options.accounts;
  const configDir = accounts ? mkdtempSync(join(tmpdir(), 'foresight-nats-conf-')) : undefined;
  const configFile = configDir ? join(configDir, 'nats.conf') : undefined;
  const writeConfig = () => {
    if (!configFile || !accounts) return;
    // Everything in the file, nothing on the command line: a reload applies the file as a whole
    // (a JetStream enabled by flag only would be shut down by the first reload).
    const text = [
      '# Written by the Foresight launcher for this run only.',
      `listen: "127.0.0.1:${port}"`,
      `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
      ...(options.tls ? [`tls { cert_file: ${JSON.stringify(options.tls.certFile)}, key_file: ${JSON.stringify(options.tls.keyFile)}, timeout: 5 }`] : []),
      accounts(),
    ].join('\n');
    writeFileSync(configFile, text, { mode: 0o600 });
  };
  writeConfig();
  const args = configFile ? ['-c', configFile] : ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir];
  let stderr = '';
  const launch = async (): Promise<{ child: ChildProcess; exited: Promise<void> }> => {
    // Its own process group, like Postgres: a Ctrl-C in the terminal reaches only the parent, which stops
    // the services first (shard nodes announce leaving over NATS), then this server.
    const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    if (options.logFile) child.stderr?.pipe(createWriteStream(options.logFile, { flags: 'a' }));
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor('nats-server', async () => {
        if (child.exitCode !== null) throw new Error(`nats-server exited: ${stderr}`);
        return tcpReady(port);
      });
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return { child, exited };
  };
  let current = await launch();
  const halt = async (signal: NodeJS.Signals) => {
    const { child, exited } = current;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    get pid() {
      return current.child.pid ?? -1;
    },
    configFile,
    reload() {
      writeConfig();
      if (current.child.exitCode === null) current.child.kill('SIGHUP');
    },
    async restart({ downMs = 0, signal = 'SIGTERM' } = {}) {
      await halt(signal);
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      current = await launch();
    },
    async stop() {
      await halt('SIGTERM');
      if (ownDir) rmSync(storeDir, { recursive: true, force: true });
      if (configDir) rmSync(configDir, { recursive: true, force: true });
    },
  };
}
