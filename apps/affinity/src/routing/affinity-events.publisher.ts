import { affinitySubjects, type AffinityEvent, type AffinitySubjects, type AffinityRouteReason, type MessageContext } from '@foresight/contracts';
import { publishEvent } from '@foresight/messaging';
import type { Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import type { EdgeRow } from '../edges/edges.repository';
import type { AffinityRow } from './affinity.repository';

/**
 * Publishes affinity changes on the affinity stream after they are committed in Postgres (message id
 * = event id). The record in Postgres is the truth; an event that could not be published is logged,
 * and edges converge anyway: they ask again when their cached record expires.
 */
export class AffinityEventsPublisher {
  private readonly s: AffinitySubjects;

  constructor(
    private readonly nc: NatsConnection,
    namespace: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.s = affinitySubjects(namespace);
  }

  async sessionRouted(row: AffinityRow, reason: AffinityRouteReason, ctx?: MessageContext): Promise<void> {
    await this.publish({
      ...this.envelope(row.sessionId, ctx),
      type: 'affinity.session_routed',
      version: 1,
      data: {
        clientId: row.clientId,
        edgeId: row.edgeId,
        weight: row.weight,
        recordVersion: row.recordVersion,
        leaseExpiresAt: row.leaseExpiresAt.toISOString(),
        reason,
      },
    });
  }

  async edgeChanged(edge: Pick<EdgeRow, 'edgeId' | 'url' | 'zone'>, status: 'up' | 'left' | 'dead'): Promise<void> {
    await this.publish({
      ...this.envelope('', undefined),
      type: 'affinity.edge_changed',
      version: 1,
      data: { edgeId: edge.edgeId, url: edge.url, zone: edge.zone, status },
    });
  }

  private envelope(sessionId: string, ctx: MessageContext | undefined) {
    const id = randomUUID();
    return {
      id,
      sessionId,
      occurredAt: new Date(this.clock.now()).toISOString(),
      correlationId: ctx?.correlationId ?? id,
      causationId: ctx?.causationId ?? id,
    };
  }

  private async publish(event: AffinityEvent): Promise<void> {
    try {
      await publishEvent(this.nc.jetstream(), this.s.affinityEvent(event.type), event);
    } catch (error) {
      this.logger.warn({ err: error, type: event.type, sessionId: event.sessionId }, 'could not publish affinity event');
    }
  }
}
