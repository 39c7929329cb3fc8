import { randomUUID } from 'node:crypto';
import { subjects, Validator, WriteLimitUsage } from '@foresight/contracts';
import { encode, tryDecode } from '@foresight/messaging';
import { counter, type Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection, Subscription } from 'nats';
import type { Registry } from 'prom-client';
import type { WriteLimits } from './write-limits';

const reports = new Validator(WriteLimitUsage, 'A write-limit usage report');

export interface WriteLimitSharingDeps {
  readonly nc: NatsConnection;
  readonly namespace: string;
  readonly limits: WriteLimits;
  readonly everyMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Registry;
}

/**
 * Makes the write-rate buckets of all gateway instances behave as one: every period each gateway
 * publishes what it granted per bucket (core NATS, no stream: a lost report only lets a client
 * exceed its rate a little, once) and charges its own buckets with what the others report. A client
 * spreading writes over N gateways gets the configured rate, plus at most what the gateways grant
 * in one period before they hear of each other. Reports are input from the bus like any other:
 * validated, and anything else is counted and dropped.
 */
export class WriteLimitSharing {
  /** This instance, in its reports, so that it skips its own. */
  readonly gatewayId = `gw-${randomUUID()}`;
  private readonly subject: string;
  private sub: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly received;
  private readonly rejected;

  constructor(private readonly deps: WriteLimitSharingDeps) {
    this.subject = subjects(deps.namespace).writeLimitUsage;
    this.received = counter(deps.metrics, 'foresight_gateway_write_limit_reports_total', 'Write-limit usage reports from other gateways applied');
    this.rejected = counter(
      deps.metrics,
      'foresight_gateway_write_limit_reports_rejected_total',
      'Messages on the write-limit subject that were not a valid report',
    );
  }

  start(): void {
    this.sub = this.deps.nc.subscribe(this.subject, { callback: (_error, msg) => this.receive(msg.data) });
    this.timer = setInterval(() => this.publish(), this.deps.everyMs);
    this.timer.unref();
  }

  /** Applies one message of the subject: another gateway's report, or nothing. */
  receive(data: Uint8Array): void {
    const report = tryDecode(data);
    if (!reports.is(report)) {
      this.rejected.inc();
      return;
    }
    if (report.gateway === this.gatewayId) return;
    this.deps.limits.charge(report, this.deps.clock.now());
    this.received.inc();
  }

  /** Publishes what this gateway granted since the last report, if anything. */
  publish(): void {
    const usage = this.deps.limits.takeUsage();
    if (usage.keys.length === 0 && usage.addresses.length === 0) return;
    try {
      this.deps.nc.publish(this.subject, encode({ gateway: this.gatewayId, ...usage }));
    } catch (error) {
      // A closed or reconnecting connection: the others miss one period of this gateway's grants.
      this.deps.logger.warn({ err: error }, 'could not publish write-limit usage');
    }
  }

  /** Reports the last period, then stops listening. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.publish();
    this.sub?.unsubscribe();
    this.sub = null;
  }
}
