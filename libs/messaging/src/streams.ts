import type { StreamDeclaration } from '@foresight/contracts';
import { backoffDelay, sleep, type BackoffOptions } from '@foresight/time';
import type { NatsConnection } from 'nats';
import { ensureStream } from './jetstream';

export interface StreamUseLogger {
  warn(obj: object, msg: string): void;
}

const isNotFound = (error: unknown) => (error as { code?: string }).code === '404' || /stream not found/i.test(String((error as Error).message));
const isPermissionDenied = (error: unknown) => (error as { code?: string }).code === 'PERMISSIONS_VIOLATION';

/** Polls for a stream someone else declares: soon at first, then every half second or so. */
const WAIT_BACKOFF: BackoffOptions = { baseMs: 50, maxMs: 500, jitter: 'equal' };

/**
 * Declares every stream (create, or update to match): the metadata service's job, the only role
 * allowed to (ADR 0005).
 */
export async function declareStreams(nc: NatsConnection, declarations: readonly StreamDeclaration[], replicas: number): Promise<void> {
  for (const d of declarations) await ensureStream(nc, { ...d, replicas });
}

/**
 * Resolves once the stream exists. Under per-service credentials only the metadata service may
 * create streams, so a service started before it waits here; on a server without permissions (a bare
 * nats-server, the integration tests) a missing stream is created as declared.
 */
export async function useStream(
  nc: NatsConnection,
  declaration: StreamDeclaration,
  replicas: number,
  options: { readonly timeoutMs?: number; readonly logger?: StreamUseLogger } = {},
): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    try {
      await jsm.streams.info(declaration.name);
      return;
    } catch (error) {
      lastError = error;
      if (isNotFound(error)) {
        try {
          await ensureStream(nc, { ...declaration, replicas });
          return;
        } catch (createError) {
          lastError = createError;
          if (!isPermissionDenied(createError)) throw createError;
        }
      }
    }
    if (attempt % 20 === 0) options.logger?.warn({ stream: declaration.name, err: lastError }, 'waiting for the stream (the metadata service declares it)');
    await sleep(backoffDelay(attempt, WAIT_BACKOFF, Math.random));
  }
  throw new Error(
    `stream ${declaration.name} is not available and this NATS user may not create it: the metadata service declares it (is it running?). Last error: ${String(lastError)}`,
  );
}
