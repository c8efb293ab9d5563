import type { Executor } from '../../platform/db/types.js';

export interface Product {
  id: string;
  tenantId: string;
  sku: string;
  name: string;
  price: number;
  currency: string;
  stockOnHand: number;
  stockReserved: number;
}

export interface NewProduct {
  sku: string;
  name: string;
  price: number;
  currency: string;
  stock: number;
}

const columns = `id, tenant_id AS "tenantId", sku, name, price, currency,
  stock_on_hand AS "stockOnHand", stock_reserved AS "stockReserved"`;

/**
 * Inserts products that do not exist yet (by SKU) and records their initial stock in the ledger,
 * in one statement: products already present keep their stock and get no second 'initial' row.
 */
export async function insertProducts(ex: Executor, tenantId: string, products: readonly NewProduct[]): Promise<number> {
  if (products.length === 0) return 0;
  const { rows } = await ex.query<{ n: number }>(
    `WITH inserted AS (
       INSERT INTO products (tenant_id, sku, name, price, currency, stock_on_hand)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::int[])
       ON CONFLICT (tenant_id, sku) DO NOTHING
       RETURNING id, stock_on_hand
     ), ledger AS (
       INSERT INTO inventory_adjustments (tenant_id, product_id, delta, kind, reason)
       SELECT $1, id, stock_on_hand, 'initial', 'initial stock' FROM inserted WHERE stock_on_hand > 0
     )
     SELECT count(*)::int AS n FROM inserted`,
    [
      tenantId,
      products.map((p) => p.sku),
      products.map((p) => p.name),
      products.map((p) => p.price),
      products.map((p) => p.currency),
      products.map((p) => p.stock),
    ],
  );
  return rows[0]?.n ?? 0;
}

export async function findProductBySku(ex: Executor, tenantId: string, sku: string): Promise<Product | undefined> {
  const { rows } = await ex.query<Product>(`SELECT ${columns} FROM products WHERE tenant_id = $1 AND sku = $2`, [tenantId, sku]);
  return rows[0];
}

export async function countProducts(ex: Executor, tenantId: string): Promise<number> {
  const { rows } = await ex.query<{ n: number }>(`SELECT count(*)::int AS n FROM products WHERE tenant_id = $1`, [tenantId]);
  return rows[0]?.n ?? 0;
}
