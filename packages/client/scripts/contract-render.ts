/**
 * Turns the gateway's OpenAPI 3.1 document into `src/generated/contract.ts`: a TypeScript type for
 * every schema the routes use, the error codes with their HTTP statuses, and a table of operations.
 * The schemas are the TypeBox contracts the gateway validates with, so the client's types follow
 * them by regeneration, never by hand. Pure: document in, source text out.
 */

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  readonly paths: Record<string, Record<string, Json>>;
  readonly components: { readonly schemas: Record<string, Json> };
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

const key = (name: string) => (IDENT.test(name) ? name : JSON.stringify(name));

function doc(description: unknown, indent: string): string {
  if (typeof description !== 'string' || description.trim() === '') return '';
  return `${indent}/** ${description.replace(/\*\//g, '*\\/').replace(/\s*\n\s*/g, ' ')} */\n`;
}

const refName = (ref: string) => ref.replace('#/components/schemas/', '');

/** The TypeScript type of a JSON Schema as TypeBox writes it (2020-12: const, anyOf, patternProperties). */
export function tsType(schema: Json, indent = ''): string {
  if (typeof schema.$ref === 'string') return refName(schema.$ref);
  if ('x-json-limits' in schema) return 'JsonValue';
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Json[]).map((s) => paren(tsType(s, indent))).join(' | ');
  if (Array.isArray(schema.allOf)) return (schema.allOf as Json[]).map((s) => paren(tsType(s, indent))).join(' & ');
  if (schema.not !== undefined && Object.keys(schema.not as Json).length === 0) return 'never';
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `readonly ${paren(tsType((schema.items as Json | undefined) ?? {}, indent))}[]`;
    case 'object':
      return objectType(schema, indent);
    default:
      return 'unknown';
  }
}

const paren = (t: string) => (/^[A-Za-z0-9_$."']+$/.test(t) || (t.startsWith('{') && t.endsWith('}') && !t.includes('} |')) ? t : `(${t})`);

function objectType(schema: Json, indent: string): string {
  const inner = `${indent}  `;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const lines: string[] = [];
  for (const [name, prop] of Object.entries((schema.properties as Record<string, Json> | undefined) ?? {})) {
    lines.push(`${doc(prop.description, inner)}${inner}readonly ${key(name)}${required.has(name) ? '' : '?'}: ${tsType(prop, inner)};`);
  }
  const pattern = Object.values((schema.patternProperties as Record<string, Json> | undefined) ?? {});
  if (pattern.length > 0) lines.push(`${inner}readonly [key: string]: ${pattern.map((p) => paren(tsType(p, inner))).join(' | ')};`);
  else if (typeof schema.additionalProperties === 'object')
    lines.push(`${inner}readonly [key: string]: ${tsType(schema.additionalProperties as Json, inner)};`);
  if (lines.length === 0) return schema.additionalProperties === false ? 'Record<string, never>' : 'Record<string, unknown>';
  return `{\n${lines.join('\n')}\n${indent}}`;
}

interface Operation {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly success: number;
  readonly pathParams: string[];
  readonly query: string[];
  readonly auth: string[];
  readonly body?: string;
  readonly response: string;
  readonly errors: Map<string, number>;
}

function operations(document: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = (op.parameters as Json[] | undefined) ?? [];
      const responses = op.responses as Record<string, Json>;
      const success = Object.keys(responses).find((s) => /^2\d\d$/.test(s));
      if (!success) throw new Error(`${method.toUpperCase()} ${path} documents no success response`);
      const schemaOf = (r: Json | undefined) => ((r?.content as Record<string, Json> | undefined)?.['application/json']?.schema as Json | undefined) ?? {};
      const errors = new Map<string, number>();
      for (const [status, response] of Object.entries(responses)) {
        if (!/^[45]\d\d$/.test(status)) continue;
        const parts = (schemaOf(response).allOf as Json[] | undefined) ?? [];
        const codes = (((parts[1]?.properties as Json | undefined)?.error as Json | undefined)?.properties as Json | undefined)?.code as Json | undefined;
        for (const code of (codes?.enum as string[] | undefined) ?? []) errors.set(code, Number(status));
      }
      const body = op.requestBody ? tsType(schemaOf(op.requestBody as Json)) : undefined;
      out.push({
        id: String(op.operationId),
        method: method.toUpperCase(),
        path,
        success: Number(success),
        pathParams: params.filter((p) => p.in === 'path').map((p) => String(p.name)),
        query: params.filter((p) => p.in === 'query').map((p) => String(p.name)),
        auth: ((op.security as Json[] | undefined) ?? []).flatMap((s) => Object.keys(s)).sort(),
        ...(body !== undefined ? { body } : {}),
        response: tsType(schemaOf(responses[success])),
        errors,
      });
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** The schemas the operations reach, in document order (the others are internal to the services). */
function reachable(document: OpenApiDocument): string[] {
  const schemas = document.components.schemas;
  const seen = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') {
        const name = refName(v);
        if (!seen.has(name)) {
          seen.add(name);
          visit(schemas[name]);
        }
      } else visit(v);
    }
  };
  visit(document.paths);
  return Object.keys(schemas).filter((n) => seen.has(n));
}

/** The contract version the document states (ContractInfo.contractVersion is a literal). */
export function contractVersionOf(document: OpenApiDocument): string {
  const info = document.components.schemas.ContractInfo as Json | undefined;
  const version = ((info?.properties as Json | undefined)?.contractVersion as Json | undefined)?.const;
  if (typeof version !== 'string') throw new Error('the document has no ContractInfo.contractVersion literal: is this a Foresight gateway?');
  return version;
}

/** The whole generated module. */
export function renderContract(document: OpenApiDocument): string {
  const ops = operations(document);
  const envelope = document.components.schemas.ErrorEnvelope as Json;
  const codeSchema = ((envelope.properties as Json).error as Json).properties as Json;
  const codes = ((codeSchema.code as Json).anyOf as Json[]).map((s) => String(s.const));
  const status = new Map<string, number>();
  for (const op of ops) for (const [code, s] of op.errors) status.set(code, s);

  const out: string[] = [
    "// Generated by `npm run generate:client` from the gateway's OpenAPI document (/docs/openapi.json). Do not edit:",
    '// change the schemas in libs/contracts and regenerate. The end-to-end tests fail when this file is stale.',
    '',
    `/** Version of the wire contracts these types describe; the client checks the gateway speaks a compatible one. */`,
    `export const CONTRACT_VERSION = ${JSON.stringify(contractVersionOf(document))};`,
    '',
    '/** Any JSON value (the gateway also bounds depth and key counts). */',
    'export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };',
    '',
  ];
  for (const name of reachable(document)) {
    const schema = document.components.schemas[name] as Json;
    const type = tsType(schema);
    const isInterface = schema.type === 'object' && !Array.isArray(schema.anyOf) && type.startsWith('{');
    out.push(`${doc(schema.description, '')}export ${isInterface ? `interface ${name} ${type}` : `type ${name} = ${type};`}`, '');
  }
  out.push('/** Every stable error code a gateway can answer. */', `export type ErrorCode =\n${codes.map((c) => `  | ${JSON.stringify(c)}`).join('\n')};`, '');
  out.push(`export const ERROR_CODES: readonly ErrorCode[] = [\n${codes.map((c) => `  ${JSON.stringify(c)},`).join('\n')}\n];`, '');
  out.push('/** The HTTP status each code comes with, as the routes document them. */');
  out.push(
    `export const ERROR_STATUS: Readonly<Partial<Record<ErrorCode, number>>> = {\n${[...status]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([c, s]) => `  ${JSON.stringify(c)}: ${s},`)
      .join('\n')}\n};`,
    '',
  );
  out.push(
    '/** How to call one route. */',
    'export interface OperationSpec {',
    "  readonly method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';",
    '  readonly path: string;',
    '  readonly success: number;',
    '  readonly pathParams: readonly string[];',
    '  readonly query: readonly string[];',
    "  /** Accepted credentials: 'apiKey' (x-api-key), 'bearer' (the session's access token); none = public. */",
    "  readonly auth: readonly ('apiKey' | 'bearer')[];",
    '  readonly hasBody: boolean;',
    '  /** The codes this route documents. */',
    '  readonly errors: readonly ErrorCode[];',
    '}',
    '',
    'export const OPERATIONS = {',
  );
  for (const op of ops) {
    out.push(
      `  ${op.id}: { method: ${JSON.stringify(op.method)}, path: ${JSON.stringify(op.path)}, success: ${op.success}, pathParams: ${JSON.stringify(op.pathParams)}, query: ${JSON.stringify(op.query)}, auth: ${JSON.stringify(op.auth)}, hasBody: ${op.body !== undefined}, errors: ${JSON.stringify([...op.errors.keys()].sort())} },`,
    );
  }
  out.push('} as const satisfies Record<string, OperationSpec>;', '');
  out.push('/** Path parameters, query, body and success body of every operation. */', 'export interface Operations {');
  for (const op of ops) {
    const params = op.pathParams.length > 0 ? `{ ${op.pathParams.map((p) => `readonly ${key(p)}: string`).join('; ')} }` : 'Record<string, never>';
    const query = op.query.length > 0 ? `{ ${op.query.map((q) => `readonly ${key(q)}?: string | number | boolean`).join('; ')} }` : 'Record<string, never>';
    out.push(`  ${op.id}: { params: ${params}; query: ${query}; body: ${op.body ?? 'undefined'}; response: ${op.response} };`);
  }
  out.push('}', '', 'export type OperationId = keyof Operations;', '');
  return out.join('\n');
}
