import { subjects, type ClusterEvent, type NodeFailureSignal, type ShardMove } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { encode, publishEvent } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';

export interface ClusterEventsDeps {
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly clock: Clock;
}

/**
 * Publishes cluster events durably on the cluster stream (declared at start), plus a
 * core-NATS notice so nodes and gateways refresh their assignment at once instead of at their next poll.
 */
export class ClusterEventsPublisher {
  private readonly subjects;
  private readonly nc: NatsConnection;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(deps: ClusterEventsDeps) {
    this.nc = deps.nc;
    this.logger = deps.logger;
    this.clock = deps.clock;
    this.subjects = subjects(deps.config.nats.namespace);
  }

  async ownersChanged(moves: readonly ShardMove[], assignmentVersion: number): Promise<void> {
    this.notice(assignmentVersion);
    await this.publish({ ...this.envelope(), type: 'cluster.shard_owners_changed', version: 1, data: { moves } });
  }

  async nodeJoined(nodeId: string, incarnation: string): Promise<void> {
    await this.publish({ ...this.envelope(), type: 'cluster.node_joined', version: 1, data: { nodeId, incarnation } });
  }

  async nodeLeft(nodeId: string, reason: 'graceful' | 'lease_expired', detectedBy?: NodeFailureSignal): Promise<void> {
    await this.publish({ ...this.envelope(), type: 'cluster.node_left', version: 1, data: { nodeId, reason, ...(detectedBy ? { detectedBy } : {}) } });
  }

  notice(assignmentVersion: number): void {
    this.nc.publish(this.subjects.assignmentChanged, encode({ version: assignmentVersion }));
  }

  private envelope() {
    const id = randomUUID();
    return { id, sessionId: '', occurredAt: new Date(this.clock.now()).toISOString(), correlationId: id, causationId: id };
  }

  private async publish(event: ClusterEvent): Promise<void> {
    try {
      await publishEvent(this.nc.jetstream(), this.subjects.clusterEvent(event.type), event);
    } catch (error) {
      // Ownership is already committed in Postgres; the event is informational for subscribers.
      this.logger.warn({ err: error, type: event.type }, 'could not publish cluster event');
    }
  }
}
