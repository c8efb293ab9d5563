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
import { mulberry32 } from '../../platform/prng.js';

export interface SeedOptions {
  products: number;
  customers: number;
  seed: number;
}

export interface SeedResult {
  productsCreated: number;
  customersCreated: number;
}

const CHUNK = 5000;

/**
 * The demo catalog: the same SKUs, prices and customers that `generate-csv` writes into its
 * files, so a generated file imports against a seeded tenant. Stock levels come from the seed.
 * Safe to run twice: existing SKUs and emails are left as they are.
 */
export async function seedDemoCatalog(ex: Executor, tenantId: string, opts: SeedOptions): Promise<SeedResult> {
  const random = mulberry32(opts.seed);
  let productsCreated = 0;
  for (let start = 1; start <= opts.products; start += CHUNK) {
    const batch = [];
    for (let i = start; i < Math.min(start + CHUNK, opts.products + 1); i++) {
      batch.push({ sku: demoSku(i), name: demoProductName(i), price: demoProductPrice(i), currency: DEMO_CURRENCY, stock: 20 + Math.floor(random() * 480) });
    }
    productsCreated += await insertProducts(ex, tenantId, batch);
  }
  let customersCreated = 0;
  for (let start = 1; start <= opts.customers; start += CHUNK) {
    const batch = [];
    for (let i = start; i < Math.min(start + CHUNK, opts.customers + 1); i++) {
      batch.push({ email: demoCustomerEmail(i), name: demoCustomerName(i) });
    }
    customersCreated += (await upsertCustomers(ex, tenantId, batch)).filter((c) => c.created).length;
  }
  return { productsCreated, customersCreated };
}
