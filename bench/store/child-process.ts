import { fork, type ChildProcess } from 'node:child_process';
import { BenchError } from './errors';

/** A peer server running in its own Node process. */
export interface PeerProcess {
  readonly url: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

function waitForExit(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Forks `script` with `args` and waits for its `{type: 'ready', port}` IPC message, so the
 * server under test never shares an event loop with the load generator.
 */
export async function startPeerProcess(name: string, script: string, args: string[], timeoutMs = 20_000): Promise<PeerProcess> {
  const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new BenchError('BENCH.PROCESS_FAILED', `${name} peer did not report ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (msg: { type?: string; port?: number }) => {
      if (msg.type === 'ready' && typeof msg.port === 'number') {
        clearTimeout(timer);
        resolve(msg.port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new BenchError('BENCH.PROCESS_FAILED', `${name} peer exited with code ${String(code)} before it was ready`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await waitForExit(child, 5000);
    },
  };
}
