import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs. Every line names the service and node; request-scoped children add
 * the correlation id that entered at the gateway.
 */
export function createLogger(options: { service: string; nodeId?: string; level: string }): Logger {
  return pino({
    level: options.level,
    base: { service: options.service, ...(options.nodeId ? { node: options.nodeId } : {}) },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
