import { ErrorCodes, ForesightError } from '@foresight/contracts';
import type { Logger } from '@foresight/observability';
import { randomUUID } from 'node:crypto';
import type { AffinityClient } from './affinity-client';

export interface EdgeMembershipOptions {
  readonly edgeId: string;
  readonly url: string;
  readonly zone: string;
  readonly heartbeatMs: number;
}

/**
 * This gateway as an edge: registers with the affinity service and heartbeats within its lease.
 * While the affinity service is unreachable it keeps trying at the heartbeat pace and the gateway
 * serves on (the registry only steers clients; it never gates a request).
 */
export class EdgeMembership {
  readonly incarnation = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private registered = false;
  private stopped = false;

  constructor(
    private readonly client: AffinityClient,
    private readonly o: EdgeMembershipOptions,
    private readonly logger: Logger,
  ) {}

  get isRegistered(): boolean {
    return this.registered;
  }

  start(): void {
    this.stopped = false;
    void this.beat();
  }

  /** Stops heartbeating and leaves, so the edge's sessions move at once rather than at the lease's end. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.registered) return;
    try {
      await this.client.membership(this.o.edgeId, 'leave', { incarnation: this.incarnation });
    } catch (error) {
      this.logger.warn({ err: error }, 'could not leave the edge registry; the lease will run out');
    }
    this.registered = false;
  }

  private async beat(): Promise<void> {
    try {
      if (!this.registered) {
        await this.client.membership(this.o.edgeId, 'register', { incarnation: this.incarnation, url: this.o.url, zone: this.o.zone });
        this.registered = true;
        this.logger.info({ edgeId: this.o.edgeId, url: this.o.url, zone: this.o.zone }, 'registered as an edge');
      } else {
        await this.client.membership(this.o.edgeId, 'heartbeat', { incarnation: this.incarnation });
      }
    } catch (error) {
      if (error instanceof ForesightError && error.code === ErrorCodes.EDGE_NOT_FOUND) this.registered = false;
      this.logger.debug({ err: error }, 'edge heartbeat failed; retrying');
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.beat(), this.o.heartbeatMs);
      this.timer.unref();
    }
  }
}
