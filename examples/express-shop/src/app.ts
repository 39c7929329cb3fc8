import type { ForesightClient } from '@foresight/client';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import 'express-session';
import { catalog } from './catalog.js';
import { sessionLayer, type StoreSettings } from './stores.js';

declare module 'express-session' {
  interface SessionData {
    views?: number;
    cart?: { sku: string; qty: number }[];
    lastProduct?: string;
  }
}

export interface ShopOptions extends StoreSettings {
  readonly foresight?: ForesightClient;
  /** The data origin, for the product pages of the non-Foresight stores. */
  readonly originUrl?: string;
}

const PRODUCT_ID = /^[A-Za-z0-9_-]{1,32}$/;
const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The shop: product pages, a cart, and an account page that reads and writes the session. */
export async function createShopApp(options: ShopOptions): Promise<{ app: Express; close(): Promise<void> }> {
  const layer = await sessionLayer(options);
  const foresight = options.kind === 'foresight' ? options.foresight : undefined;
  const products = catalog(foresight, options.originUrl);
  await products.declareRequirements();
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '64kb' }));
  app.use(...layer.handlers);

  app.get('/', (req, res) => {
    const links = ['1', '2', '3', '42'].map((id) => `<li><a href="/products/${id}">product ${id}</a></li>`).join('');
    res.send(page('Shop', `<ul>${links}</ul><p><a href="/cart">cart</a> · <a href="/account">account</a></p>`));
  });

  // The page the benchmark loads: one session read and one write, as most pages do.
  app.get('/account', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.json({ views: req.session.views, lastProduct: req.session.lastProduct ?? null, sessionId: req.sessionID });
  });

  app.get('/products/:id', async (req: Request<{ id: string }>, res: Response, next: NextFunction) => {
    try {
      const { id } = req.params;
      if (!PRODUCT_ID.test(id)) return void res.status(404).send(page('No such product', ''));
      req.session.lastProduct = id;
      // Record first: the owner node warms this page's keys while it reads them.
      await products.record(req.sessionID, `view_product:${id}`).catch(() => undefined);
      const [product, reviews] = await Promise.all([products.get(req.sessionID, `product:${id}`), products.get(req.sessionID, `reviews:${id}`)]);
      if (req.accepts(['json', 'html']) === 'json') return void res.json({ product, reviews });
      res.send(
        page(
          `Product ${esc(id)}`,
          `<pre>${esc(JSON.stringify(product.value, null, 2))}</pre><p>served from ${product.source} (waited ${product.waitedMs} ms)</p>`,
        ),
      );
    } catch (error) {
      next(error);
    }
  });

  app.post('/cart/:sku', (req: Request<{ sku: string }>, res: Response) => {
    const { sku } = req.params;
    if (!PRODUCT_ID.test(sku)) return void res.status(400).json({ error: 'bad sku' });
    const cart = req.session.cart ?? [];
    const line = cart.find((l) => l.sku === sku);
    req.session.cart = line ? cart.map((l) => (l.sku === sku ? { sku, qty: l.qty + 1 } : l)) : [...cart, { sku, qty: 1 }];
    void products.record(req.sessionID, `add_to_cart:${sku}`).catch(() => undefined);
    res.json({ cart: req.session.cart });
  });

  app.get('/cart', (req, res) => {
    res.json({ cart: req.session.cart ?? [] });
  });

  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    // A save that failed after the page was sent: Express's own handler ends the response.
    if (res.headersSent) return next(error);
    const status = (error as { status?: number }).status ?? 500;
    res.status(status >= 400 && status < 600 ? status : 500).json({ error: (error as Error).message });
  });

  return { app, close: () => layer.close() };
}
