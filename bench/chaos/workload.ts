import { performance } from 'node:perf_hooks';
import { ForesightError, type ForesightClient } from '@foresight/client';
import type { FinalRead, ReadOp, WriteOp } from './checker';

/** One register of the model: a writer's own variable in its own session. */
export interface Register {
  readonly key: string;
  readonly sessionId: string;
  readonly group: string;
  readonly name: string;
}

/** Milliseconds on one monotonic clock shared by the history and the fault timestamps. */
export const now = (): number => performance.now();

function codeOf(error: unknown): string {
  return error instanceof ForesightError ? error.code : 'CLIENT.UNEXPECTED';
}

/**
 * Concurrent writers (one per register, writing 1, 2, 3, … one at a time) and readers (strong
 * reads of random registers), all through the client, recording every call with its start and end.
 * The counters outlive a round: values keep growing across rounds, so every value is unique.
 */
export class Workload {
  private readonly next = new Map<string, number>();
  private readonly lastAcked = new Map<string, number>();
  private running = false;
  private loops: Promise<void>[] = [];
  writes: WriteOp[] = [];
  reads: ReadOp[] = [];

  constructor(
    private readonly client: ForesightClient,
    readonly registers: readonly Register[],
    private readonly readers: number,
  ) {}

  /**
   * Starts a round with a fresh history that remembers, per register, the newest value acknowledged
   * in earlier rounds (as a write acknowledged just before the round), so a read or final value
   * older than it is still caught.
   */
  start(): void {
    const startedAt = now();
    this.writes = [];
    for (const reg of this.registers) {
      const acked = this.lastAcked.get(reg.key);
      if (acked !== undefined) this.writes.push({ key: reg.key, value: acked, startMs: startedAt - 1, endMs: startedAt - 1, ok: true, carried: true });
    }
    this.reads = [];
    this.running = true;
    this.loops = [...this.registers.map((reg) => this.writeLoop(reg)), ...Array.from({ length: this.readers }, (_, i) => this.readLoop(i))];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async writeLoop(reg: Register): Promise<void> {
    while (this.running) {
      const value = (this.next.get(reg.key) ?? 0) + 1;
      this.next.set(reg.key, value);
      const startMs = now();
      try {
        await this.client.setVariable(reg.sessionId, reg.group, reg.name, value);
        this.writes.push({ key: reg.key, value, startMs, endMs: now(), ok: true });
        this.lastAcked.set(reg.key, Math.max(value, this.lastAcked.get(reg.key) ?? 0));
      } catch (error) {
        this.writes.push({ key: reg.key, value, startMs, endMs: now(), ok: false, code: codeOf(error) });
        // Do not spin against a cluster that refuses at once.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private async readLoop(seed: number): Promise<void> {
    let i = seed;
    while (this.running) {
      const reg = this.registers[(i = (i * 1103515245 + 12345) % 2147483648) % this.registers.length];
      const startMs = now();
      try {
        const reply = await this.client.getVariable(reg.sessionId, reg.group, reg.name, { consistent: true });
        this.reads.push({ key: reg.key, value: typeof reply.value === 'number' ? reply.value : null, startMs, endMs: now(), ok: true });
      } catch (error) {
        const code = codeOf(error);
        if (code === 'SESSION.VARIABLE_NOT_FOUND') this.reads.push({ key: reg.key, value: null, startMs, endMs: now(), ok: true });
        else {
          this.reads.push({ key: reg.key, value: null, startMs, endMs: now(), ok: false, code });
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  }

  /** Reads every register once the cluster is healthy again (strong reads, a generous deadline). */
  async finalReads(): Promise<FinalRead[]> {
    return Promise.all(
      this.registers.map(async (reg): Promise<FinalRead> => {
        try {
          const reply = await this.client.getVariable(reg.sessionId, reg.group, reg.name, { consistent: true }, { timeoutMs: 30_000 });
          return { key: reg.key, value: typeof reply.value === 'number' ? reply.value : null };
        } catch (error) {
          const code = codeOf(error);
          return code === 'SESSION.VARIABLE_NOT_FOUND' ? { key: reg.key, value: null } : { key: reg.key, value: null, error: code };
        }
      }),
    );
  }
}
