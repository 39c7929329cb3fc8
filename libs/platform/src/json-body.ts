import { ErrorCodes, ForesightError, Limits } from '@foresight/contracts';
import type { FastifyInstance } from 'fastify';

export interface JsonShapeLimits {
  readonly maxDepth: number;
  readonly maxKeysPerObject: number;
  readonly maxKeysTotal: number;
}

const DEFAULT_JSON_SHAPE: JsonShapeLimits = {
  maxDepth: Limits.jsonMaxDepth,
  maxKeysPerObject: Limits.jsonMaxKeysPerObject,
  maxKeysTotal: Limits.jsonMaxKeysTotal,
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Why a JSON text is too deep or has too many keys, or undefined when it is within the limits.
 * One pass over the bytes without recursion and before any parsing, so a hostile body costs its
 * length and nothing more (UTF-8 never puts these ASCII bytes inside a multi-byte character).
 * Syntax is not checked here; JSON.parse does that afterwards.
 */
export function jsonShapeProblem(bytes: Uint8Array, limits: JsonShapeLimits = DEFAULT_JSON_SHAPE): string | undefined {
  // Keys counted per open container; -1 marks an array.
  const open: number[] = [];
  let total = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
      continue;
    }
    if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (open.length >= limits.maxDepth) return `nested more than ${limits.maxDepth} levels deep`;
      open.push(b === OPEN_OBJECT ? 0 : -1);
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
      open.pop();
    } else if (b === COLON && open.length > 0 && open[open.length - 1]! >= 0) {
      const keys = ++open[open.length - 1]!;
      if (keys > limits.maxKeysPerObject) return `an object with more than ${limits.maxKeysPerObject} keys`;
      if (++total > limits.maxKeysTotal) return `more than ${limits.maxKeysTotal} keys in all`;
    }
  }
  return undefined;
}

/**
 * Makes application/json the only body a service parses (anything else is 415), with the body
 * limit and the shape check above before JSON.parse, and the same prototype-poisoning guard
 * Fastify's own parser has.
 */
export function installJsonBodyParser(fastify: FastifyInstance, bodyLimit: number, limits: JsonShapeLimits = DEFAULT_JSON_SHAPE): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    const bytes = body as Buffer;
    const problem = jsonShapeProblem(bytes, limits);
    if (problem) {
      done(new ForesightError(ErrorCodes.VALIDATION, `The JSON body is ${problem}; send a flatter or smaller document.`, { ...limits }), undefined);
      return;
    }
    parse(request, bytes.toString('utf8'), done);
  });
}
