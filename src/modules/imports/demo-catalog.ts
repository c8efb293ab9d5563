/*
 * The deterministic demo catalog shared by `ordersys seed` and the CSV generator: SKU n and
 * customer n are the same everywhere, so a generated file always matches a seeded database.
 * Indexes are 1-based. Names include a comma now and then so files exercise CSV quoting.
 */

export const DEMO_PRODUCTS = 1000;
export const DEMO_CUSTOMERS = 10_000;
export const DEMO_CURRENCY = 'EUR';

const pad5 = (n: number): string => String(n).padStart(5, '0');
/** Knuth's multiplicative hash: spreads consecutive indexes without any state. */
const mix = (n: number): number => Math.imul(n, 2654435761) >>> 0;

export const demoSku = (index: number): string => `SKU-${pad5(index)}`;

/** Integer cents from 0.49 to 198.99, ending in 49 or 99 like shop prices. */
export function demoProductPrice(index: number): number {
  const h = mix(index);
  return (h % 199) * 100 + ((h >>> 8) & 1 ? 99 : 49);
}

const ADJECTIVES = ['Red', 'Blue', 'Green', 'Large', 'Small', 'Vintage', 'Classic', 'Deluxe', 'Compact', 'Wooden', 'Steel', 'Ceramic'];
const NOUNS = ['Mug', 'Lamp', 'Chair', 'Notebook', 'Backpack', 'Kettle', 'Clock', 'Vase', 'Towel', 'Candle', 'Pillow', 'Teapot', 'Bowl'];

export function demoProductName(index: number): string {
  const h = mix(index);
  const base = `${ADJECTIVES[h % ADJECTIVES.length]} ${NOUNS[(h >>> 4) % NOUNS.length]} ${index}`;
  return index % 7 === 0 ? `${base}, set of 2` : base;
}

export const demoCustomerEmail = (index: number): string => `customer-${pad5(index)}@example.com`;

const FIRST = ['Ada', 'Ben', 'Chloe', 'David', 'Emma', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Keiko', 'Liam', 'Maya', 'Noah'];
const LAST = ['Martin', 'Schmidt', 'Rossi', 'Garcia', 'Dubois', 'Novak', 'Jensen', 'Silva', 'Kowalski', "O'Brien", 'Smith'];

export function demoCustomerName(index: number): string {
  const h = mix(index + 7919);
  return `${FIRST[h % FIRST.length]} ${LAST[(h >>> 5) % LAST.length]}`;
}
