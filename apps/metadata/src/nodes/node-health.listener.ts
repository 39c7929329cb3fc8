import { NodeHealthReport, subjects, Validator } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { tryDecode } from '@foresight/messaging';
import { counter } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection, Subscription } from 'nats';
import type { Registry } from 'prom-client';
import type { DegradationJudge } from './degradation';

const reports = new Validator(NodeHealthReport, 'A node health report');

export interface NodeHealthListenerDeps {
  readonly nc: NatsConnection;
  readonly config: ForesightConfig;
  readonly metrics: Registry;
  readonly clock: Clock;
  readonly judge: Pick<DegradationJudge, 'ingest'>;
  /** A report made a node one to drain: the leader's next round should not wait for its period. */
  readonly onDrain?: () => void;
}

/**
 * Hands the gateways' node-health reports to the degradation judge. Every metadata instance listens
 * (any may become the leader); anything on the subject that is not a valid report is counted and dropped.
 */
export class NodeHealthListener {
  private sub: Subscription | null = null;
  private readonly received;
  private readonly rejected;

  constructor(private readonly deps: NodeHealthListenerDeps) {
    this.received = counter(deps.metrics, 'foresight_node_health_reports_total', 'Node health reports from gateways applied');
    this.rejected = counter(deps.metrics, 'foresight_node_health_reports_rejected_total', 'Messages on the node-health subject that were not a valid report');
  }

  start(): void {
    this.sub = this.deps.nc.subscribe(subjects(this.deps.config.nats.namespace).nodeHealth, { callback: (_error, msg) => this.receive(msg.data) });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = null;
  }

  receive(data: Uint8Array): void {
    const report = tryDecode(data);
    if (!reports.is(report)) {
      this.rejected.inc();
      return;
    }
    const drain = this.deps.judge.ingest(report, this.deps.clock.now());
    this.received.inc();
    if (drain) this.deps.onDrain?.();
  }
}
