import { Parser } from '@asyncapi/parser';
import { buildAsyncApiDocument, eventChannels, subjectMatches } from './asyncapi';
import { CLUSTER_EVENT_TYPES } from './cluster-events';
import { PREDICTION_EVENT_TYPES } from './prediction-events';
import { SESSION_EVENT_TYPES } from './session-events';
import { TOKEN_EVENT_TYPES } from './token-events';

// Severity in the parser's diagnostics: 0 error, 1 warning, 2 information, 3 hint.
const ERROR = 0;
const WARNING = 1;

describe('the AsyncAPI document of the event streams', () => {
  it('is valid AsyncAPI 3 for the real parser, without errors or warnings', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(buildAsyncApiDocument('fs')));
    const serious = diagnostics.filter((d) => d.severity === ERROR || d.severity === WARNING).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
    expect(serious).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
    expect(document!.channels().length).toBe(eventChannels('fs').length);
  }, 60_000);

  it('fails the parser when the document is broken (the check can fail)', async () => {
    const doc = buildAsyncApiDocument('fs') as { operations: Record<string, { action: string }> };
    doc.operations.receive_session_created!.action = 'listen';
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(document).toBeUndefined();
    expect(diagnostics.some((d) => d.severity === ERROR)).toBe(true);
  }, 60_000);

  it('has a channel for every event type of every stream, on the namespaced subject', () => {
    const channels = eventChannels('acme');
    expect(channels.map((c) => c.type).sort()).toEqual(
      [...SESSION_EVENT_TYPES, ...CLUSTER_EVENT_TYPES, ...TOKEN_EVENT_TYPES, ...PREDICTION_EVENT_TYPES].sort(),
    );
    for (const c of channels) expect(c.subject).toBe(`acme.evt.${c.type}`);
    const streamOf = (type: string) => channels.find((c) => c.type === type)!.stream.name;
    expect([streamOf('session.ended'), streamOf('cluster.node_left'), streamOf('token.revoked'), streamOf('prediction.model_updated')]).toEqual([
      'ACME_SESSIONS',
      'ACME_CLUSTER',
      'ACME_TOKENS',
      'ACME_PREDICTION',
    ]);
  });

  it('says who may publish each event, from the permission table', () => {
    const publishers = Object.fromEntries(eventChannels('fs').map((c) => [c.type, c.publishers]));
    expect(publishers['session.variable_set']).toEqual(['shard']);
    expect(publishers['cluster.node_joined']).toEqual(['metadata']);
    expect(publishers['token.revoked']).toEqual(['token']);
    expect(publishers['prediction.model_updated']).toEqual(['prediction']);
    for (const list of Object.values(publishers)) expect(list).not.toContain('subscriber');
  });

  it('describes each message with its version and the envelope around the data schema', () => {
    const doc = buildAsyncApiDocument('fs') as {
      components: { schemas: Record<string, { required: string[]; properties: Record<string, { const?: unknown }> }> };
    };
    const schema = doc.components.schemas.session_variable_set_v1!;
    expect(schema.required).toEqual(['id', 'type', 'version', 'sessionId', 'occurredAt', 'correlationId', 'causationId', 'data']);
    expect([schema.properties.type!.const, schema.properties.version!.const]).toEqual(['session.variable_set', 1]);
  });

  it('matches NATS subjects as the server does', () => {
    expect(subjectMatches('fs.evt.session.>', 'fs.evt.session.ended')).toBe(true);
    expect(subjectMatches('fs.evt.session.>', 'fs.evt.session')).toBe(false);
    expect(subjectMatches('fs.evt.*.ended', 'fs.evt.session.ended')).toBe(true);
    expect(subjectMatches('fs.evt.*', 'fs.evt.session.ended')).toBe(false);
    expect(subjectMatches('fs.evt.session.ended', 'fs.evt.session.ended')).toBe(true);
  });
});
