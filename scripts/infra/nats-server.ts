import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, waitFor } from './ports';

export interface LocalNats {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** The nats-server binary: NATS_SERVER_BIN, PATH, or Debian's /usr/sbin location. */
export function findNatsServer(explicit?: string): string {
  const candidates = explicit ? [explicit] : [...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'nats-server')), '/usr/sbin/nats-server', '/usr/bin/nats-server'];
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

/** Starts a loopback nats-server with JetStream in its own store directory. */
export async function startNatsServer(options: { bin?: string; storeDir?: string; port?: number } = {}): Promise<LocalNats> {
  const bin = findNatsServer(options.bin);
  const port = options.port ?? (await freePort());
  const ownDir = !options.storeDir;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'foresight-nats-'));
  mkdirSync(storeDir, { recursive: true });
  const child: ChildProcess = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
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
  return {
    url: `nats://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (ownDir) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
