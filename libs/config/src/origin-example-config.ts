import { EnvReader } from './env-reader';
import { ConfigError } from './config';
import { readNatsAuth, readNatsTls, type NatsAuthConfig, type NatsTlsConfig } from './transport-config';

/** Settings of `apps/origin-example`, the demo and test data source. */
export interface OriginExampleConfig {
  readonly host: string;
  readonly port: number;
  /** Delay before each answer. */
  readonly latencyMs: number;
  /** Bytes of the JSON payload of each item (approximately: padding fills it up). */
  readonly payloadBytes: number;
  /** Share of requests answered with HTTP 500 (or a NATS error), 0–1. */
  readonly failureRate: number;
  /** Also answer NATS requests `{ key }` on this subject (needs `NATS_URL`). */
  readonly natsSubject?: string;
  readonly natsServers: readonly string[];
  readonly natsAuth: NatsAuthConfig;
  readonly natsTls?: NatsTlsConfig;
  readonly seed: number;
  readonly exitWithParent: boolean;
}

/**
 * Reads `HTTP_PORT`/`ORIGIN_PORT`, `ORIGIN_LATENCY_MS`, `ORIGIN_PAYLOAD_BYTES`, `ORIGIN_FAILURE_RATE`,
 * `ORIGIN_NATS_SUBJECT`, `NATS_URL`; command-line flags (`--port 4100 --latency-ms 20 …`) win over
 * the environment. Throws a ConfigError listing every problem.
 */
export function loadOriginExampleConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  argv: readonly string[] = process.argv.slice(2),
): OriginExampleConfig {
  const flags: Record<string, string> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!;
    const value = argv[i + 1];
    const key = {
      '--port': 'ORIGIN_PORT',
      '--latency-ms': 'ORIGIN_LATENCY_MS',
      '--payload-bytes': 'ORIGIN_PAYLOAD_BYTES',
      '--failure-rate': 'ORIGIN_FAILURE_RATE',
      '--nats-subject': 'ORIGIN_NATS_SUBJECT',
    }[name];
    if (key === undefined || value === undefined)
      problems.push(`unknown or incomplete flag ${name} (flags: --port, --latency-ms, --payload-bytes, --failure-rate, --nats-subject)`);
    else flags[key] = value;
  }
  const r = new EnvReader({ ...env, ...flags });
  const config: OriginExampleConfig = {
    host: r.string('HTTP_HOST', '0.0.0.0'),
    port: r.int('ORIGIN_PORT', r.int('HTTP_PORT', 4100, 0, 65535), 0, 65535),
    latencyMs: r.int('ORIGIN_LATENCY_MS', 20, 0, 600_000),
    payloadBytes: r.int('ORIGIN_PAYLOAD_BYTES', 1024, 0, 64 * 1024 * 1024),
    failureRate: r.number('ORIGIN_FAILURE_RATE', 0, 0, 1),
    natsSubject: r.optional('ORIGIN_NATS_SUBJECT'),
    natsServers: r.list('NATS_URL', ['nats://127.0.0.1:4222']),
    natsAuth: readNatsAuth(r, r.optional('NODE_ENV') === 'production'),
    natsTls: readNatsTls(r),
    seed: r.int('ORIGIN_SEED', 1, 0, 0xffff_ffff),
    exitWithParent: r.oneOf('EXIT_WITH_PARENT', ['true', 'false'] as const, 'false') === 'true',
  };
  const all = [...problems, ...r.problems];
  if (all.length > 0) throw new ConfigError(all);
  return config;
}
