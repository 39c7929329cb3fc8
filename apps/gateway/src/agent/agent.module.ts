import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, METRICS } from '@foresight/platform';
import type { Clock } from '@foresight/time';
import type { Registry } from 'prom-client';
import { ApiKeyGuard } from '../common/api-key.guard';
import { TokensModule } from '../tokens/tokens.module';
import { AgentAuthGuard } from './agent-auth.guard';
import { AgentController } from './agent.controller';
import { AgentReports } from './agent-reports';

/** Prunes stale reports now and then, so memory follows the clients that still report. */
@Injectable()
class AgentReportsPruner implements OnApplicationShutdown {
  private readonly timer: NodeJS.Timeout;

  constructor(reports: AgentReports) {
    this.timer = setInterval(() => reports.prune(), 30_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}

/** The gateway's routes for client libraries: the contract they check, and their agents' reports. */
@Module({
  imports: [TokensModule],
  controllers: [AgentController],
  providers: [
    { provide: AgentReports, inject: [CLOCK, METRICS], useFactory: (clock: Clock, metrics: Registry) => new AgentReports({ clock, metrics }) },
    AgentAuthGuard,
    ApiKeyGuard,
    AgentReportsPruner,
  ],
})
export class AgentModule {}
