import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { METRICS, loadConfigOrExit, startService } from '@foresight/platform';
import type { Registry } from 'prom-client';
import { GatewayModule } from './app.module';
import { instrumentHttp } from './common/http-metrics';

/** REST gateway (X2): validation, auth, OpenAPI at /docs, /health, /metrics; routes to owner nodes. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('gateway');
  await startService(config, GatewayModule.register(config), (app) => {
    instrumentHttp(app.getHttpAdapter().getInstance(), app.get<Registry>(METRICS));
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Foresight')
        .setDescription('Distributed, predictive session platform. Errors are {"error": {"code", "message", "correlationId"}}.')
        .setVersion('1')
        .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'apiKey')
        .build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  });
}

void main().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
