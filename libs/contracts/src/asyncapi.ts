import type { TSchema } from '@sinclair/typebox';
import { Headers } from './subjects';
import { NATS_ROLES, natsPermissions, type NatsRole } from './permissions';
import { EVENT_DATA_SCHEMAS, EventEnvelopeSchema, type CatalogEventType } from './schemas/events';
import { streamDeclarations, type StreamDeclaration } from './streams';

type Json = Record<string, unknown>;

/** One event type on the bus: where it travels, which version is published, who may publish it. */
export interface EventChannel {
  readonly type: CatalogEventType;
  readonly version: number;
  readonly subject: string;
  readonly stream: StreamDeclaration;
  readonly publishers: readonly NatsRole[];
  readonly summary: string;
  readonly data: TSchema;
}

/** Whether NATS subject `subject` is matched by the pattern `pattern` (`*` one token, `>` the rest). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/**
 * Every event type with its subject, stream and publishers, from the contracts: the subjects and
 * streams of `streamDeclarations`, the schemas of `EVENT_DATA_SCHEMAS`, and the roles of the
 * permission table allowed to publish on the subject (the operator, who may do anything, aside).
 */
export function eventChannels(namespace = 'fs'): EventChannel[] {
  const streams: StreamDeclaration[] = Object.values(streamDeclarations(namespace));
  return (Object.keys(EVENT_DATA_SCHEMAS) as CatalogEventType[]).map((type) => {
    const subject = `${namespace}.evt.${type}`;
    const stream = streams.find((d) => d.subjects.some((p) => subjectMatches(p, subject)));
    if (!stream) throw new Error(`no stream captures ${subject}`);
    const publishers = NATS_ROLES.filter(
      (role) => role !== 'operator' && natsPermissions(namespace, { role, nodeId: 'any' }).publish.some((p) => subjectMatches(p, subject)),
    );
    const entry = EVENT_DATA_SCHEMAS[type];
    return { type, version: entry.version, subject, stream, publishers, summary: entry.summary, data: entry.data };
  });
}

const id = (type: string) => type.replace(/\./g, '_');
const messageId = (type: string, version: number) => `${id(type)}_v${version}`;
const json = (schema: TSchema): Json => JSON.parse(JSON.stringify(schema)) as Json;

const NATS_HEADERS = {
  type: 'object',
  properties: {
    [Headers.eventType]: { type: 'string', description: 'The envelope type, readable without decoding the body' },
    [Headers.eventVersion]: { type: 'string', description: 'The envelope version, in decimal' },
    [Headers.correlationId]: { type: 'string' },
    [Headers.sessionId]: { type: 'string', description: 'Absent on cluster-level events' },
    'Nats-Msg-Id': { type: 'string', description: 'The event id: the stream drops a republished event inside its duplicate window' },
  },
};

/**
 * The AsyncAPI 3 document of Foresight's event streams: one channel per event type (its subject,
 * its stream and who may publish it), one message per published version, the envelope and `data`
 * schemas, and the subscriber credentials a reader connects with. The gateway serves it at
 * `/docs/asyncapi.json`; CI validates it with the AsyncAPI parser.
 */
export function buildAsyncApiDocument(namespace = 'fs'): Json {
  const channels: Json = {};
  const operations: Json = {};
  const messages: Json = {};
  const schemas: Json = {};
  for (const c of eventChannels(namespace)) {
    const mid = messageId(c.type, c.version);
    schemas[mid] = json(EventEnvelopeSchema(c.type, c.version, c.data));
    messages[mid] = {
      name: c.type,
      title: `${c.type} v${c.version}`,
      summary: c.summary,
      contentType: 'application/msgpack',
      headers: NATS_HEADERS,
      payload: { $ref: `#/components/schemas/${mid}` },
      correlationId: { location: '$message.payload#/correlationId' },
      'x-foresight-version': c.version,
    };
    channels[id(c.type)] = {
      address: c.subject,
      title: c.type,
      summary: c.summary,
      messages: { [mid]: { $ref: `#/components/messages/${mid}` } },
      'x-foresight-stream': { name: c.stream.name, maxAgeMs: c.stream.maxAgeMs, duplicateWindowMs: c.stream.duplicateWindowMs },
      'x-foresight-publishers': c.publishers,
    };
    operations[`receive_${id(c.type)}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${id(c.type)}` },
      summary: `Read ${c.type} from stream ${c.stream.name} (published by ${c.publishers.join(', ') || 'no service'})`,
      messages: [{ $ref: `#/channels/${id(c.type)}/messages/${mid}` }],
      security: [{ $ref: '#/components/securitySchemes/subscriber' }],
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Foresight events',
      version: '1',
      description:
        'Every change Foresight commits is an event on a JetStream stream, MessagePack-encoded in an envelope ' +
        '{id, type, version, sessionId, occurredAt, correlationId, causationId, data}. Consumers switch on type and ' +
        'version, process an event once by its id, and treat an unknown version as such (additive changes stay within ' +
        'a version; a breaking change is a new version, published beside the old one during a migration window). ' +
        '@foresight/events is the typed subscriber.',
    },
    defaultContentType: 'application/msgpack',
    servers: {
      local: {
        host: 'localhost:4222',
        protocol: 'nats',
        description: 'The local stack (npm start); a deployment names its own NATS servers',
        security: [{ $ref: '#/components/securitySchemes/subscriber' }],
      },
    },
    channels,
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        subscriber: {
          type: 'userPassword',
          description:
            'The NATS user "subscriber": may create consumers on every stream, read and ack, and read the dead-letter ' +
            `subjects (${namespace}.dlq.>); may publish nothing.`,
        },
      },
    },
  };
}
