import type { Executor } from '../../platform/db/types.js';
import { lockOrders } from './order.repository.js';
import { transitionGuard } from './order.state.js';
import { applyTransition } from './order.transitions.js';

export interface ReservationOutcome {
  reserved: string[];
  failed: { orderId: string; reason: string }[];
  /** Still pending, but locked by another transaction when the batch ran (skipped, not waited for). */
  skipped: string[];
}

interface ItemRow {
  orderId: string;
  productId: string;
  sku: string;
  quantity: number;
}

/**
 * Reserves stock for a batch of pending orders, all or nothing per order.
 *
 * Lock order: the orders (by id, skipping those another worker holds), then every product they
 * need (by id). Products are locked FOR NO KEY UPDATE (stock is not a key), the weakest lock that
 * serializes stock changes. Every path that touches stock locks in this order, so batches never
 * deadlock; references to products are checked per statement (0008), without row locks.
 *
 * 'optimistic' (the default) decides on stock read without locks and locks the products last,
 * just before booking, so a hot SKU is held for two statements and the commit instead of the
 * whole batch (transitions, events, notifications); settlements and other batches wait that much
 * less. If the stock it decided on has moved by then, it throws StockMoved and the caller runs the
 * batch again in 'locked' mode (lock products first, decide on what is locked), in a fresh
 * transaction: nothing of the optimistic attempt survives its rollback.
 * Allocation runs in placement order; an order that does not fit entirely takes nothing and fails
 * with the SKU, the quantity wanted and what was available.
 * Undo: settleReservations({ release }). Repeating it is harmless: only orders still pending move.
 */
export async function reserveOrders(
  tx: Executor,
  tenantId: string,
  orderIds: readonly string[],
  holdUntil: Date,
  mode: 'optimistic' | 'locked' = 'optimistic',
): Promise<ReservationOutcome> {
  const locked = await lockOrders(tx, tenantId, orderIds, true);
  const skipped = locked.length < orderIds.length ? await pendingAmong(tx, tenantId, orderIds, locked) : [];
  const orders = locked.filter((o) => transitionGuard(o, 'reserve').ok);
  if (orders.length === 0) return { reserved: [], failed: [], skipped };
  orders.sort((a, b) => a.placedAt.getTime() - b.placedAt.getTime() || a.orderCode.localeCompare(b.orderCode));
  const ids = orders.map((o) => o.id);

  const { rows: items } = await tx.query<ItemRow>(
    `SELECT order_id AS "orderId", product_id AS "productId", sku, quantity FROM order_items WHERE order_id = ANY($1::uuid[])`,
    [ids],
  );
  const productIds = [...new Set(items.map((i) => i.productId))];
  const stock = mode === 'locked' ? await lockStock(tx, productIds) : await readStock(tx, productIds);
  const { outcome, taken } = allocate(orders.map((o) => o.id), items, stock);

  if (taken.size > 0) {
    await tx.query(
      `INSERT INTO stock_reservations (tenant_id, order_id, product_id, quantity)
       SELECT $1, order_id, product_id, quantity FROM order_items WHERE order_id = ANY($2::uuid[])`,
      [tenantId, outcome.reserved],
    );
  }
  await applyTransition(tx, tenantId, 'reserve', outcome.reserved.map((orderId) => ({ orderId })), { reservedUntil: holdUntil });
  await applyTransition(tx, tenantId, 'fail', outcome.failed);
  if (taken.size > 0) {
    if (mode === 'optimistic') {
      const now = await lockStock(tx, [...taken.keys()]);
      const moved = [...taken].filter(([id, q]) => (now.get(id) ?? 0) < q);
      if (moved.length > 0) throw new StockMoved(moved.length);
    }
    await tx.query(
      `UPDATE products p SET stock_reserved = p.stock_reserved + d.q, updated_at = now()
       FROM unnest($1::uuid[], $2::int[]) AS d(id, q) WHERE p.id = d.id`,
      [[...taken.keys()], [...taken.values()]],
    );
  }
  return { ...outcome, skipped };
}

/**
 * The orders of the batch that SKIP LOCKED passed over and that are still pending (a plain read:
 * it waits for no lock). Whoever held them may have been another batch reserving them, or a
 * request that changed nothing (a refused ship or refund locks the order too): the caller gives
 * the pending ones another job, or they would stay pending for ever.
 */
async function pendingAmong(tx: Executor, tenantId: string, orderIds: readonly string[], locked: readonly { id: string }[]): Promise<string[]> {
  const got = new Set(locked.map((o) => o.id));
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM orders WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'pending'`,
    [tenantId, orderIds.filter((id) => !got.has(id))],
  );
  return rows.map((r) => r.id);
}

/** The stock an optimistic batch decided on was taken by someone else before it could book it. */
export class StockMoved extends Error {
  constructor(readonly products: number) {
    super(`stock of ${products} product(s) moved while the batch was deciding; run it again locked`);
  }
}

async function readStock(tx: Executor, productIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await tx.query<{ id: string; available: number }>(
    `SELECT id, stock_on_hand - stock_reserved AS available FROM products WHERE id = ANY($1::uuid[])`,
    [productIds],
  );
  return new Map(rows.map((p) => [p.id, p.available]));
}

async function lockStock(tx: Executor, productIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await tx.query<{ id: string; available: number }>(
    `SELECT id, stock_on_hand - stock_reserved AS available FROM products
     WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
    [productIds],
  );
  return new Map(rows.map((p) => [p.id, p.available]));
}

/** Placement order, all or nothing per order, over what `stock` says is available. Pure. */
function allocate(orderIds: readonly string[], items: readonly ItemRow[], stock: ReadonlyMap<string, number>) {
  const available = new Map(stock);
  const itemsByOrder = new Map<string, ItemRow[]>();
  for (const item of items) {
    const lines = itemsByOrder.get(item.orderId);
    if (lines) lines.push(item);
    else itemsByOrder.set(item.orderId, [item]);
  }
  const outcome: ReservationOutcome = { reserved: [], failed: [], skipped: [] };
  const taken = new Map<string, number>();
  for (const orderId of orderIds) {
    const lines = itemsByOrder.get(orderId) ?? [];
    const short = lines.filter((l) => (available.get(l.productId) ?? 0) < l.quantity);
    if (short.length > 0) {
      const reason = short.map((l) => `${l.sku}: wanted ${l.quantity}, available ${available.get(l.productId) ?? 0}`).join('; ');
      outcome.failed.push({ orderId, reason: `insufficient stock (${reason})` });
      continue;
    }
    for (const l of lines) {
      available.set(l.productId, available.get(l.productId)! - l.quantity);
      taken.set(l.productId, (taken.get(l.productId) ?? 0) + l.quantity);
    }
    outcome.reserved.push(orderId);
  }
  return { outcome, taken };
}

/**
 * Ends the active reservations of orders that were just completed (`commit`: the units leave the
 * shelf) or rolled back (`release`: the units become available again). Callers have already
 * locked the orders; the products of both sets are locked here in ONE statement, by id: two
 * separate calls would lock two sorted runs, which is not one global order and can deadlock.
 * Only 'active' rows move, so a repeat is a no-op.
 */
export async function settleReservations(tx: Executor, orders: { commit?: readonly string[]; release?: readonly string[] }): Promise<void> {
  const commit = orders.commit ?? [];
  const release = orders.release ?? [];
  if (commit.length === 0 && release.length === 0) return;
  const { rows } = await tx.query<{ productId: string; committed: number; released: number }>(
    `WITH settled AS (
       UPDATE stock_reservations r
       SET status = CASE WHEN r.order_id = ANY($1::uuid[]) THEN 'committed' ELSE 'released' END, updated_at = now()
       WHERE (r.order_id = ANY($1::uuid[]) OR r.order_id = ANY($2::uuid[])) AND r.status = 'active'
       RETURNING r.product_id, r.quantity, r.status
     )
     SELECT product_id AS "productId",
       COALESCE(sum(quantity) FILTER (WHERE status = 'committed'), 0)::int AS committed,
       COALESCE(sum(quantity) FILTER (WHERE status = 'released'), 0)::int AS released
     FROM settled GROUP BY product_id`,
    [commit, release],
  );
  if (rows.length === 0) return;
  await tx.query(`SELECT 1 FROM products WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [rows.map((r) => r.productId)]);
  await tx.query(
    `UPDATE products p SET stock_reserved = p.stock_reserved - d.c - d.r, stock_on_hand = p.stock_on_hand - d.c, updated_at = now()
     FROM unnest($1::uuid[], $2::int[], $3::int[]) AS d(id, c, r) WHERE p.id = d.id`,
    [rows.map((r) => r.productId), rows.map((r) => r.committed), rows.map((r) => r.released)],
  );
}
