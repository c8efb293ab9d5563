import type { Executor } from '../../platform/db/types.js';

/** What an order line takes from the catalog. */
export interface CatalogRow {
  id: string;
  sku: string;
  name: string;
  price: number;
  currency: string;
}

/**
 * This process's copy of the catalog rows placements used, so a placement group skips the
 * catalog's round trip. It is never trusted on its own: the statement that writes the orders
 * checks, in its own snapshot, that every row it was given is still the product's (id, sku,
 * name, price, currency) and writes nothing otherwise (createOrders); the rows are then read
 * again. SKUs that are not in the catalog are not remembered: a product created a moment ago is
 * found at once. Bounded: the oldest rows go first.
 */
export class CatalogCache {
  private readonly rows = new Map<string, CatalogRow>();

  constructor(private readonly maxRows = 50_000) {}

  private static key(tenantId: string, sku: string): string {
    return `${tenantId}\u0000${sku}`;
  }

  /** The rows of these SKUs, from memory where it has them, the rest read (and kept). */
  async lookUp(ex: Executor, tenantId: string, skus: readonly string[]): Promise<Map<string, CatalogRow>> {
    const found = new Map<string, CatalogRow>();
    const missing: string[] = [];
    for (const sku of skus) {
      const row = this.rows.get(CatalogCache.key(tenantId, sku));
      if (row) found.set(sku, row);
      else missing.push(sku);
    }
    if (missing.length === 0) return found;
    const { rows } = await ex.query<CatalogRow>(
      `SELECT id, sku, name, price, currency FROM products WHERE tenant_id = $1 AND sku = ANY($2::text[])`,
      [tenantId, missing],
      { prepareAs: 'orders.catalog' },
    );
    for (const row of rows) {
      found.set(row.sku, row);
      this.keep(tenantId, row);
    }
    return found;
  }

  /** Drops these SKUs' rows: a statement found one of them changed. */
  forget(tenantId: string, skus: Iterable<string>): void {
    for (const sku of skus) this.rows.delete(CatalogCache.key(tenantId, sku));
  }

  private keep(tenantId: string, row: CatalogRow): void {
    const key = CatalogCache.key(tenantId, row.sku);
    this.rows.delete(key);
    this.rows.set(key, row);
    if (this.rows.size > this.maxRows) this.rows.delete(this.rows.keys().next().value!);
  }
}

const caches = new WeakMap<object, CatalogCache>();

/** The cache of this application context (one per process in production). */
export function catalogCacheOf(owner: object): CatalogCache {
  let cache = caches.get(owner);
  if (!cache) caches.set(owner, (cache = new CatalogCache()));
  return cache;
}
