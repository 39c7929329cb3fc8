import type { ForesightClient } from '@foresight/client';
import { foresightSession } from '@foresight/express-session';
import type { RequestHandler } from 'express';
import session from 'express-session';

export type StoreKind = 'foresight' | 'redis' | 'postgres';

export interface StoreSettings {
  readonly kind: StoreKind;
  readonly secret: string;
  /** For `foresight`: a client with the back end's API key. */
  readonly foresight?: ForesightClient;
  /** For `redis`: redis://host:port. */
  readonly redisUrl?: string;
  /** For `postgres`: the database connect-pg-simple keeps its `session` table in. */
  readonly databaseUrl?: string;
}

export interface SessionLayer {
  readonly handlers: RequestHandler[];
  close(): Promise<void>;
}

const COOKIE = { maxAge: 30 * 60_000, httpOnly: true, sameSite: 'lax' as const };

/**
 * express-session with the chosen store. The Foresight line and the connect-redis line differ only in
 * the store: that is the whole switch.
 */
export async function sessionLayer(settings: StoreSettings): Promise<SessionLayer> {
  const common = { secret: settings.secret, resave: false, saveUninitialized: false, cookie: COOKIE };
  switch (settings.kind) {
    case 'foresight': {
      if (!settings.foresight) throw new Error('the Foresight store needs a client (FORESIGHT_URL, FORESIGHT_API_KEY)');
      // Fields → state groups: the cart page loads only the cart group (and the cookie's).
      const handlers = foresightSession({
        ...common,
        client: settings.foresight,
        groups: { cart: 'cart', user: 'auth' },
        groupsFor: (req) => ((req as { url?: string }).url?.startsWith('/cart') ? ['cart'] : undefined),
      });
      await handlers.store.ready();
      return { handlers: handlers as unknown as RequestHandler[], close: async () => undefined };
    }
    case 'redis': {
      const { createClient } = await import('redis');
      const { RedisStore } = await import('connect-redis');
      const client = createClient({ url: settings.redisUrl });
      await client.connect();
      return {
        handlers: [session({ ...common, store: new RedisStore({ client }) })],
        close: async () => void (await client.quit()),
      };
    }
    case 'postgres': {
      const { Pool } = await import('pg');
      const connectPg = (await import('connect-pg-simple')).default;
      const pool = new Pool({ connectionString: settings.databaseUrl });
      const PgStore = connectPg(session);
      return {
        handlers: [session({ ...common, store: new PgStore({ pool, createTableIfMissing: true }) })],
        close: () => pool.end(),
      };
    }
  }
}
