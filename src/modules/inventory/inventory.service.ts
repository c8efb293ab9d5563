import type { Executor } from '../../platform/db/types.js';
import { DomainError, notFound } from '../../platform/errors.js';

export interface StockLevel {
  sku: string;
  name: string;
  price: number;
  currency: string;
  onHand: number;
  reserved: number;
  available: number;
  lowStockThreshold: number;
}

/** stock_on_hand, stock_reserved and inventory_adjustments.delta are int4. */
export const STOCK_MAX = 2_147_483_647;
export const STOCK_MIN = -2_147_483_648;

const columns = `sku, name, price, currency, stock_on_hand AS "onHand", stock_reserved AS "reserved",
  stock_on_hand - stock_reserved AS available, low_stock_threshold AS "lowStockThreshold"`;

export async function stockOf(ex: Executor, tenantId: string, sku: string): Promise<StockLevel> {
  const { rows } = await ex.query<StockLevel>(`SELECT ${columns} FROM products WHERE tenant_id = $1 AND sku = $2`, [tenantId, sku]);
  if (!rows[0]) throw notFound('Product with SKU', sku);
  return rows[0];
}

/** Lowest availability first: what an operator must restock. */
export async function listStock(ex: Executor, tenantId: string, limit: number, offset: number): Promise<StockLevel[]> {
  const { rows } = await ex.query<StockLevel>(
    `SELECT ${columns} FROM products WHERE tenant_id = $1 ORDER BY stock_on_hand - stock_reserved, sku LIMIT $2 OFFSET $3`,
    [tenantId, limit, offset],
  );
  return rows;
}

/**
 * Restock (delta > 0) or correction (either sign), on record in the stock ledger in the same
 * transaction. On hand may not drop below what is reserved: those units are promised. Nor may it
 * rise past the int4 column: the UPDATE would fail as a 500 instead of a refusal.
 */
export async function adjustStock(
  tx: Executor,
  tenantId: string,
  sku: string,
  delta: number,
  kind: 'restock' | 'correction',
  reason: string,
): Promise<StockLevel> {
  const { rows } = await tx.query<{ id: string; onHand: number; reserved: number }>(
    `SELECT id, stock_on_hand AS "onHand", stock_reserved AS reserved FROM products WHERE tenant_id = $1 AND sku = $2 FOR NO KEY UPDATE`,
    [tenantId, sku],
  );
  const product = rows[0];
  if (!product) throw notFound('Product with SKU', sku);
  if (kind === 'restock' && delta <= 0) throw new DomainError('INVALID_DATA', 'delta: a restock adds stock; use kind "correction" to remove units.');
  if (product.onHand + delta < product.reserved) {
    throw new DomainError(
      'CONFLICT',
      `delta: ${sku} has ${product.onHand} on hand of which ${product.reserved} are reserved; it can lose at most ${product.onHand - product.reserved}.`,
      { onHand: product.onHand, reserved: product.reserved },
    );
  }
  if (product.onHand + delta > STOCK_MAX) {
    throw new DomainError(
      'CONFLICT',
      `delta: ${sku} has ${product.onHand} on hand; stock can hold at most ${STOCK_MAX} units, so it can gain at most ${STOCK_MAX - product.onHand}.`,
      { onHand: product.onHand, max: STOCK_MAX },
    );
  }
  await tx.query(`UPDATE products SET stock_on_hand = stock_on_hand + $2, updated_at = now() WHERE id = $1`, [product.id, delta]);
  await tx.query(`INSERT INTO inventory_adjustments (tenant_id, product_id, delta, kind, reason) VALUES ($1, $2, $3, $4, $5)`, [
    tenantId,
    product.id,
    delta,
    kind,
    reason,
  ]);
  return stockOf(tx, tenantId, sku);
}
