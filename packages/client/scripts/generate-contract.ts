/*
 * npm run generate:client -- [--from <file|url>] [--check]
 *
 * Writes packages/client/src/generated/contract.ts from the OpenAPI document a gateway serves. By
 * default it starts a minimal local stack (from dist/, like the tests) to read the document.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineCommand } from '@foresight/cli';
import { startLocalStack } from '../../../scripts/local-stack';
import { renderContract, type OpenApiDocument } from './contract-render';

export const CONTRACT_FILE = 'packages/client/src/generated/contract.ts';

const cli = defineCommand({
  run: 'npm run generate:client --',
  summary: "Generates the client's types and operation table from the gateway's OpenAPI document.",
  options: {
    from: {
      type: 'string',
      placeholder: '<file|url>',
      defaultText: 'a local stack started for the purpose',
      description: 'an OpenAPI JSON file, or a gateway URL',
    },
    out: { type: 'string', default: CONTRACT_FILE, placeholder: '<file>', description: 'where to write the module' },
    check: { type: 'boolean', description: 'write nothing; exit 1 when the file differs from what the document gives' },
  },
  examples: ['npm run generate:client', 'npm run generate:client -- --from http://127.0.0.1:3000 --check'],
});

async function documentFrom(from: string | undefined): Promise<OpenApiDocument> {
  if (from !== undefined && !/^https?:\/\//.test(from)) return JSON.parse(readFileSync(from, 'utf8')) as OpenApiDocument;
  const fetchDoc = async (base: string) => (await (await fetch(`${base.replace(/\/$/, '')}/docs/openapi.json`)).json()) as OpenApiDocument;
  if (from !== undefined) return fetchDoc(from);
  const stack = await startLocalStack({ quiet: true, shardNodes: 1, env: { LOG_LEVEL: 'warn', FORESIGHT_NAMESPACE: `gen${process.pid}` } });
  try {
    return await fetchDoc(stack.gatewayUrl);
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const args = cli.parseOrExit(process.argv.slice(2));
  const text = renderContract(await documentFrom(args.from));
  const out = resolve(args.out);
  if (args.check) {
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      // A missing file is stale.
    }
    if (current !== text) {
      process.stderr.write(`${args.out} is stale: run npm run generate:client\n`);
      process.exit(1);
    }
    process.stderr.write(`${args.out} is up to date\n`);
    return;
  }
  writeFileSync(out, text);
  process.stderr.write(`wrote ${args.out}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`generate:client failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
