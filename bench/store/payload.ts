import { pickIndex, pickOne, type Rng } from './rng';

/** Variables of one session, by group then name (the body of `POST /v1/sessions`). */
export type SessionData = Record<string, Record<string, unknown>>;

/** What the harness sends to create one session. */
export interface SessionSeed {
  readonly userId: string;
  readonly data: SessionData;
}

/** One cart line; the cart's `items` variable is an array of these. */
export interface CartItem {
  readonly sku: string;
  readonly name: string;
  readonly qty: number;
  readonly unitPriceCents: number;
  readonly addedAt: string;
}

const PRODUCTS = [
  'Trail running shoes',
  'Merino wool socks (3 pairs)',
  'Insulated water bottle 750 ml',
  'Lightweight rain jacket',
  'Headlamp 400 lumen',
  'Trekking poles, carbon',
  'Compression sleeves',
  'Energy gel box (24)',
] as const;
const LOCALES = ['en-GB', 'fr-FR', 'de-DE', 'es-ES', 'it-IT', 'nl-NL'] as const;
const COUNTRIES = ['GB', 'FR', 'DE', 'ES', 'IT', 'NL'] as const;
const SHIPPING = ['standard', 'express', 'pickup'] as const;

/** Fixed base time so payloads do not depend on the wall clock. */
const BASE_MS = Date.UTC(2025, 0, 15, 9, 30);

/** A cart of `count` items (default 3–5), deterministic for a given RNG state. */
export function makeCartItems(rng: Rng, count = 3 + pickIndex(rng, 3)): CartItem[] {
  return Array.from({ length: count }, (_, i) => ({
    sku: `SKU-${(100000 + pickIndex(rng, 900000)).toString()}`,
    name: pickOne(rng, PRODUCTS),
    qty: 1 + pickIndex(rng, 3),
    unitPriceCents: 499 + pickIndex(rng, 20000),
    addedAt: new Date(BASE_MS + i * 47_000 + pickIndex(rng, 40_000)).toISOString(),
  }));
}

/**
 * A realistic e-commerce session of about 1 KiB of JSON: a cart of a few items, shipping
 * choices, user preferences and recently viewed products. Everything is in the `cart` group,
 * the one group every Foresight deployment has by default.
 */
export function makeSessionSeed(rng: Rng, index: number): SessionSeed {
  const locale = pickOne(rng, LOCALES);
  return {
    userId: `user-${index.toString().padStart(6, '0')}`,
    data: {
      cart: {
        items: makeCartItems(rng),
        currency: 'EUR',
        coupon: rng() < 0.3 ? `SPRING${(10 + pickIndex(rng, 20)).toString()}` : null,
        shipping: {
          method: pickOne(rng, SHIPPING),
          country: pickOne(rng, COUNTRIES),
          postcode: (10000 + pickIndex(rng, 89999)).toString(),
        },
        lastSearch: { query: pickOne(rng, PRODUCTS).toLowerCase(), page: 1 + pickIndex(rng, 4), sort: 'relevance' },
        preferences: { locale, theme: rng() < 0.5 ? 'dark' : 'light', timezone: 'Europe/Paris', newsletter: rng() < 0.4 },
        recentlyViewed: Array.from({ length: 8 }, () => `SKU-${(100000 + pickIndex(rng, 900000)).toString()}`),
      },
    },
  };
}

/** Bytes of the JSON encoding of a value (what a blob store keeps). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
