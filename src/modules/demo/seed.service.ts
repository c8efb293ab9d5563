import type { Executor } from '../../platform/db/types.js';
import { upsertCustomers } from '../customers/customer.repository.js';
import {
  DEMO_CURRENCY,
  demoCustomerEmail,
  demoCustomerName,
  demoProductName,
  demoProductPrice,
  demoSku,
} from '../imports/demo-catalog.js';
import { insertProducts } from '../inventory/product.repository.js';
import { invalid } from '../../platform/errors.js';
import { mulberry32 } from '../../platform/prng.js';

export interface SeedOptions {
  products: number;
  customers: number;
  seed: number;
  /** Called after each chunk with the products plus customers written so far. */
  onProgress?: (done: number) => void;
}

export interface SeedResult {
  productsCreated: number;
  customersCreated: number;
}

const CHUNK = 5000;

/*
 * The whole seed is one transaction: on PGlite a million customers take about a minute and
 * 0.8 GB, ten million filled a 9.6 GB data directory. A thousand times the default products and
 * a hundred times the default customers are plenty to load-test with.
 */
export const MAX_SEED_PRODUCTS = 1_000_000;
export const MAX_SEED_CUSTOMERS = 1_000_000;

/**
 * The demo catalog: the same SKUs, prices and customers that `generate-csv` writes into its
 * files, so a generated file imports against a seeded tenant. Stock levels come from the seed.
 * Safe to run twice: existing SKUs and emails are left as they are.
 */
export async function seedDemoCatalog(ex: Executor, tenantId: string, opts: SeedOptions): Promise<SeedResult> {
  if (opts.products > MAX_SEED_PRODUCTS) throw invalid('products', `must be at most ${MAX_SEED_PRODUCTS} (got ${opts.products}).`);
  if (opts.customers > MAX_SEED_CUSTOMERS) throw invalid('customers', `must be at most ${MAX_SEED_CUSTOMERS} (got ${opts.customers}).`);
  const random = mulberry32(opts.seed);
  let productsCreated = 0;
  for (let start = 1; start <= opts.products; start += CHUNK) {
    const batch = [];
    for (let i = start; i < Math.min(start + CHUNK, opts.products + 1); i++) {
      batch.push({ sku: demoSku(i), name: demoProductName(i), price: demoProductPrice(i), currency: DEMO_CURRENCY, stock: 20 + Math.floor(random() * 480) });
    }
    productsCreated += await insertProducts(ex, tenantId, batch);
    opts.onProgress?.(start - 1 + batch.length);
  }
  let customersCreated = 0;
  for (let start = 1; start <= opts.customers; start += CHUNK) {
    const batch = [];
    for (let i = start; i < Math.min(start + CHUNK, opts.customers + 1); i++) {
      batch.push({ email: demoCustomerEmail(i), name: demoCustomerName(i) });
    }
    customersCreated += (await upsertCustomers(ex, tenantId, batch)).filter((c) => c.created).length;
    opts.onProgress?.(opts.products + start - 1 + batch.length);
  }
  return { productsCreated, customersCreated };
}
