/**
 * The deterministic demo catalog shared by `ordersys seed` and `ordersys generate-csv`: a
 * generated file names exactly the SKUs, prices and customers a seeded tenant has.
 * Indexes are 1-based.
 */
export const DEMO_CURRENCY = 'EUR';

const ADJECTIVES = ['Red', 'Blue', 'Green', 'Oak', 'Steel', 'Linen', 'Glass', 'Copper', 'Wool', 'Stone'];
const NOUNS = ['Mug', 'Lamp', 'Chair', 'Notebook', 'Candle', 'Scarf', 'Bowl', 'Clock', 'Basket', 'Vase', 'Pen', 'Rug'];
const FIRST = ['Ada', 'Ben', 'Chloé', 'Dev', 'Emma', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kofi', 'Lena'];
const LAST = ['Smith', 'Okafor', 'García', 'Nguyen', 'Müller', 'Rossi', 'Kowalski', 'Haddad', 'Silva', 'Tanaka'];

const pad = (n: number) => String(n).padStart(5, '0');

export const demoSku = (i: number): string => `SKU-${pad(i)}`;
export const demoProductName = (i: number): string =>
  `${ADJECTIVES[i % ADJECTIVES.length]} ${NOUNS[Math.floor(i / ADJECTIVES.length) % NOUNS.length]} ${i}`;
/** 1.99 to 199.99, fixed per SKU (integer cents, no floats). */
export const demoProductPrice = (i: number): number => 199 + ((i * 7919) % 19_800);
export const demoCustomerEmail = (i: number): string => `customer-${pad(i)}@example.com`;
export const demoCustomerName = (i: number): string =>
  `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`;
