import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/db.js';
import { newTenant } from '../../../test/factories.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { MAX_SEED_CUSTOMERS, MAX_SEED_PRODUCTS, seedDemoCatalog } from './seed.service.js';

describe(seedDemoCatalog.name, () => {
  let database: TestDatabase;
  let tenant: Tenant;
  beforeAll(async () => {
    database = await createTestDatabase();
    tenant = await newTenant(database.db);
  });
  afterAll(() => database.close());

  it('refuses a catalog beyond the bounds before writing a row', async () => {
    await expect(seedDemoCatalog(database.db, tenant.id, { products: MAX_SEED_PRODUCTS + 1, customers: 0, seed: 1 })).rejects.toThrow(
      `products: must be at most ${MAX_SEED_PRODUCTS} (got ${MAX_SEED_PRODUCTS + 1}).`,
    );
    await expect(seedDemoCatalog(database.db, tenant.id, { products: 0, customers: MAX_SEED_CUSTOMERS + 1, seed: 1 })).rejects.toMatchObject({
      code: 'INVALID_DATA',
    });
    const { rows } = await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM products WHERE tenant_id = $1`, [tenant.id]);
    expect(rows[0]!.n).toBe(0);
  });

  it('reports the rows written after each chunk', async () => {
    const done: number[] = [];
    const result = await seedDemoCatalog(database.db, tenant.id, { products: 5001, customers: 2, seed: 1, onProgress: (n) => done.push(n) });
    expect(result).toEqual({ productsCreated: 5001, customersCreated: 2 });
    expect(done).toEqual([5000, 5001, 5003]);
  });
});
