import { ErrorCodes, ForesightError, subjects, type NodeFailureSignal, type ShardCommands, type Subjects } from '@foresight/contracts';
import type { ForesightConfig } from '@foresight/config';
import { callRpc } from '@foresight/messaging';
import { counter, histogram, type Logger } from '@foresight/observability';
import type { Clock } from '@foresight/time';
import type { NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { NodesRepository } from './nodes.repository';
import { SuspicionTracker, type ProbeOutcome } from './suspicion';

export interface FailureDetectorDeps {
  readonly nc: NatsConnection;
  readonly nodes: NodesRepository;
  readonly config: ForesightConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics: Registry;
  /** Only the rebalancing leader probes. */
  readonly isLeader: () => boolean;
  /** A node was declared dead: move its shards now. */
  readonly onDead: (nodeId: string, signal: NodeFailureSignal) => void;
}

/**
 * Notices a dead shard node in a fraction of its lease. The leader probes every live node's serving
 * subject every `FAILURE_PROBE_MS`; a crashed node is gone from NATS at once ("no responders"), a
 * frozen one stops answering. Either way the node is declared dead only when its heartbeats have
 * stopped too (see {@link SuspicionTracker}), and Postgres decides, so a node that is merely slow
 * to answer probes keeps its shards. Without probes the lease still ends a dead node's ownership.
 */
export class FailureDetector {
  private readonly subjects: Subjects;
  private readonly tracker: SuspicionTracker;
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** After this instance's own NATS connection dropped, nodes need time to reconnect: no verdicts until then. */
  private quietUntil = 0;
  private readonly metrics;
  private readonly deps: FailureDetectorDeps;

  constructor(deps: FailureDetectorDeps) {
    this.deps = deps;
    this.subjects = subjects(deps.config.nats.namespace);
    this.tracker = new SuspicionTracker(deps.config.cluster.suspectAfterMs, 2 * deps.config.cluster.heartbeatMs);
    this.metrics = {
      probes: counter(deps.metrics, 'foresight_node_probes_total', 'Liveness probes of shard nodes by the metadata leader', ['outcome']),
      probeSeconds: histogram(
        deps.metrics,
        'foresight_node_probe_seconds',
        'Round trip of answered liveness probes (a node paused by GC answers late)',
        [],
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      ),
      declared: counter(deps.metrics, 'foresight_nodes_declared_dead_total', 'Nodes declared dead by the failure detector before their lease ran out', [
        'signal',
      ]),
    };
  }

  get enabled(): boolean {
    return this.deps.config.cluster.probeMs > 0;
  }

  start(): void {
    if (!this.enabled) return;
    this.stopped = false;
    void this.watchConnection();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.round().finally(() => this.schedule()), this.deps.config.cluster.probeMs);
  }

  /** Probes every live node not already being probed; each probe decides for its node when it returns. */
  private async round(): Promise<void> {
    if (!this.deps.isLeader()) {
      this.tracker.clear();
      return;
    }
    let live: { nodeId: string; incarnation: string }[];
    try {
      live = await this.deps.nodes.liveIncarnations();
    } catch (error) {
      this.deps.logger.debug({ err: error }, 'could not list live nodes to probe');
      return;
    }
    this.tracker.keepOnly(new Set(live.map(key)));
    for (const node of live) {
      if (this.inFlight.has(key(node))) continue;
      this.inFlight.add(key(node));
      void this.probeAndJudge(node).finally(() => this.inFlight.delete(key(node)));
    }
  }

  private async probeAndJudge(node: { nodeId: string; incarnation: string }): Promise<void> {
    const { clock, config, nodes, logger } = this.deps;
    const sentAt = clock.now();
    const outcome = await this.probe(node);
    this.metrics.probes.inc({ outcome });
    if (outcome === 'answered') this.metrics.probeSeconds.observe((clock.now() - sentAt) / 1000);
    if (this.stopped || !this.deps.isLeader()) return;
    let verdict = this.tracker.record(key(node), outcome, sentAt, clock.now());
    if (!verdict && this.tracker.noRespondersOf(key(node)) === 1) {
      // Confirm at once rather than a whole interval later: a crash is over in two quick probes.
      await new Promise((resolve) => setTimeout(resolve, Math.min(25, config.cluster.probeMs)));
      const again = await this.probe(node);
      this.metrics.probes.inc({ outcome: again });
      verdict = this.tracker.record(key(node), again, sentAt, clock.now());
    }
    if (!verdict || clock.now() < this.quietUntil || this.stopped || !this.deps.isLeader()) return;
    try {
      if (!(await nodes.declareDead(node.nodeId, node.incarnation, verdict.silentMs))) return;
    } catch (error) {
      logger.warn({ err: error, nodeId: node.nodeId }, 'could not declare a failed node dead; its lease will end instead');
      return;
    }
    this.metrics.declared.inc({ signal: verdict.signal });
    logger.warn({ nodeId: node.nodeId, signal: verdict.signal, silentMs: verdict.silentMs }, 'node declared dead by the failure detector; moving its shards');
    this.deps.onDead(node.nodeId, verdict.signal);
  }

  private async probe(node: { nodeId: string; incarnation: string }): Promise<ProbeOutcome> {
    const { config } = this.deps;
    const timeoutMs = Math.max(50, Math.min(250, Math.floor(config.cluster.suspectAfterMs / 4)));
    try {
      const reply = await callRpc<ShardCommands['node.ping']['reply']>(this.deps.nc, this.subjects.shardRpc(node.nodeId), 'node.ping', {}, { timeoutMs });
      return reply.incarnation === node.incarnation ? 'answered' : 'silent';
    } catch (error) {
      if (!(error instanceof ForesightError)) return 'inconclusive';
      if (error.code === ErrorCodes.TIMEOUT) return 'silent';
      if (error.code === ErrorCodes.UNAVAILABLE && error.details?.noResponders === true) return 'no_responders';
      // Any other answer came from the node (it is there), or from this instance's own connection.
      return error.code === ErrorCodes.UNAVAILABLE ? 'inconclusive' : 'answered';
    }
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.deps.nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        this.quietUntil = this.deps.clock.now() + 2 * this.deps.config.cluster.suspectAfterMs;
        this.tracker.clear();
      }
    }
  }
}

function key(node: { nodeId: string; incarnation: string }): string {
  return `${node.nodeId}/${node.incarnation}`;
}
