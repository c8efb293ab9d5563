import type { Executor } from '../../platform/db/types.js';
import { STOCK_MAX } from '../inventory/inventory.service.js';
import type { ItemStock, RefundMoney, RestockLine } from './refund.rules.js';

export const REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export interface Refund {
  id: string;
  tenantId: string;
  orderId: string;
  paymentId: string;
  amount: number;
  currency: string;
  reason: string;
  status: RefundStatus;
  restock: RestockLine[];
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = `r.id, r.tenant_id AS "tenantId", r.order_id AS "orderId", r.payment_id AS "paymentId", r.amount, r.currency,
  r.reason, r.status, r.restock, r.failure_reason AS "failureReason", r.created_at AS "createdAt", r.updated_at AS "updatedAt"`;

/**
 * The order's captured payment and the sums of its succeeded and pending refunds. Read under the
 * order lock: READ COMMITTED gives this statement a fresh snapshot, so it sees every refund booked
 * by a transaction that held the lock before us.
 */
export async function refundMoneyOf(tx: Executor, tenantId: string, orderId: string): Promise<RefundMoney & { paymentId: string | null }> {
  const { rows } = await tx.query<{ paymentId: string | null; captured: number | null; refunded: number; pending: number }>(
    `SELECT p.id AS "paymentId", p.amount AS captured,
       COALESCE(sum(r.amount) FILTER (WHERE r.status = 'succeeded'), 0)::bigint AS refunded,
       COALESCE(sum(r.amount) FILTER (WHERE r.status = 'pending'), 0)::bigint AS pending
     FROM (SELECT $2::uuid AS order_id) o
     LEFT JOIN payments p ON p.order_id = o.order_id AND p.tenant_id = $1 AND p.status = 'succeeded'
     LEFT JOIN refunds r ON r.order_id = o.order_id AND r.tenant_id = $1
     GROUP BY p.id, p.amount`,
    [tenantId, orderId],
  );
  const row = rows[0]!;
  return { paymentId: row.paymentId, captured: row.captured, refunded: row.refunded, pending: row.pending };
}

/**
 * SKU -> units bought, units that left the shelf (the item's reservation committed; a released
 * one never took them) and the product's stock on hand now (unlocked: the booking-time bound;
 * restockRefunded bounds again under the product lock).
 */
export async function itemStockBySku(ex: Executor, orderId: string): Promise<Map<string, ItemStock & { onHand: number }>> {
  const { rows } = await ex.query<{ sku: string; bought: number; taken: number; onHand: number }>(
    `SELECT i.sku, i.quantity AS bought, COALESCE(r.quantity, 0) AS taken, p.stock_on_hand AS "onHand"
     FROM order_items i
     JOIN products p ON p.id = i.product_id
     LEFT JOIN stock_reservations r ON r.order_id = i.order_id AND r.product_id = i.product_id AND r.status = 'committed'
     WHERE i.order_id = $1`,
    [orderId],
  );
  return new Map(rows.map((r) => [r.sku, { bought: r.bought, taken: r.taken, onHand: r.onHand }]));
}

/** SKU -> quantity that succeeded or pending refunds put (or will put) back on the shelf. */
export async function restockedBySku(ex: Executor, orderId: string): Promise<Map<string, number>> {
  const { rows } = await ex.query<{ sku: string; quantity: number }>(
    `SELECT x.sku, sum(x.quantity)::int AS quantity
     FROM refunds r, jsonb_to_recordset(r.restock) AS x(sku text, quantity int)
     WHERE r.order_id = $1 AND r.status <> 'failed' GROUP BY x.sku`,
    [orderId],
  );
  return new Map(rows.map((r) => [r.sku, r.quantity]));
}

export interface NewRefund {
  orderId: string;
  paymentId: string;
  amount: number;
  currency: string;
  reason: string;
  restock: RestockLine[];
}

export async function insertRefund(tx: Executor, tenantId: string, refund: NewRefund): Promise<Refund> {
  const { rows } = await tx.query<Refund>(
    `INSERT INTO refunds AS r (tenant_id, order_id, payment_id, amount, currency, reason, restock)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [tenantId, refund.orderId, refund.paymentId, refund.amount, refund.currency, refund.reason, JSON.stringify(refund.restock)],
  );
  return rows[0]!;
}

export async function findRefund(ex: Executor, tenantId: string, id: string): Promise<Refund | undefined> {
  const { rows } = await ex.query<Refund>(`SELECT ${COLUMNS} FROM refunds r WHERE r.tenant_id = $1 AND r.id = $2`, [tenantId, id]);
  return rows[0];
}

/** The order's refunds, oldest first. Callers have checked the order belongs to the tenant. */
export async function refundsOfOrder(ex: Executor, orderId: string): Promise<Refund[]> {
  const { rows } = await ex.query<Refund>(`SELECT ${COLUMNS} FROM refunds r WHERE r.order_id = $1 ORDER BY r.created_at, r.id`, [orderId]);
  return rows;
}

export interface PendingRefund {
  refundId: string;
  paymentId: string;
  orderId: string;
  tenantId: string;
  amount: number;
  currency: string;
}

/** Of these refunds, those still waiting for the gateway's answer: what a (re)request asks about. */
export async function pendingRefunds(ex: Executor, tenantId: string, ids: readonly string[]): Promise<PendingRefund[]> {
  if (ids.length === 0) return [];
  const { rows } = await ex.query<PendingRefund>(
    `SELECT id AS "refundId", payment_id AS "paymentId", order_id AS "orderId", tenant_id AS "tenantId", amount, currency
     FROM refunds WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'pending' ORDER BY id`,
    [tenantId, ids],
  );
  return rows;
}

/** Refunds pending since before `before`, oldest first: answers the gateway never delivered. */
export async function stalePendingRefunds(ex: Executor, before: Date, limit: number): Promise<PendingRefund[]> {
  const { rows } = await ex.query<PendingRefund>(
    `SELECT id AS "refundId", payment_id AS "paymentId", order_id AS "orderId", tenant_id AS "tenantId", amount, currency
     FROM refunds WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT ${limit}`,
    [before],
  );
  return rows;
}

/** Order of each refund, to lock the orders before anything moves. */
export async function ordersOfRefunds(ex: Executor, tenantId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } = await ex.query<{ orderId: string }>(
    `SELECT DISTINCT order_id AS "orderId" FROM refunds WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
    [tenantId, ids],
  );
  return rows.map((r) => r.orderId);
}

/**
 * pending -> succeeded | failed, guarded: only refunds still pending move, so a duplicate or late
 * answer (or a failure after a success) returns nothing and changes nothing.
 */
export async function settleRefunds(
  tx: Executor,
  tenantId: string,
  outcomes: readonly { refundId: string; status: 'succeeded' | 'failed'; failureReason?: string }[],
): Promise<Refund[]> {
  if (outcomes.length === 0) return [];
  const { rows } = await tx.query<Refund>(
    `UPDATE refunds r SET status = d.status, failure_reason = d.reason, updated_at = now()
     FROM unnest($2::uuid[], $3::text[], $4::text[]) AS d(id, status, reason)
     WHERE r.id = d.id AND r.tenant_id = $1 AND r.status = 'pending'
     RETURNING ${COLUMNS}`,
    [tenantId, outcomes.map((o) => o.refundId), outcomes.map((o) => o.status), outcomes.map((o) => o.failureReason ?? null)],
  );
  return rows;
}

/** Sets the orders' refunded_total and refund_status (already computed under the order lock). */
export async function setRefundedTotals(
  tx: Executor,
  tenantId: string,
  updates: readonly { orderId: string; refundedTotal: number; refundStatus: string }[],
): Promise<void> {
  if (updates.length === 0) return;
  await tx.query(
    `UPDATE orders o SET refunded_total = d.total, refund_status = d.status, updated_at = now()
     FROM unnest($2::uuid[], $3::bigint[], $4::text[]) AS d(id, total, status)
     WHERE o.id = d.id AND o.tenant_id = $1`,
    [tenantId, updates.map((u) => u.orderId), updates.map((u) => u.refundedTotal), updates.map((u) => u.refundStatus)],
  );
}

/** Units a succeeded refund asked to put back that did not fit on the shelf, and why. */
export interface RestockSkipped {
  refundId: string;
  sku: string;
  quantity: number;
  reason: string;
}

/**
 * Puts refunded units back on the shelf with one ledger row per (refund, product). Products are
 * locked by id here, after the caller locked the orders: the global lock order.
 * stock_on_hand is int4: what would push it past STOCK_MAX is skipped and returned with the
 * reason, never raised. The gateway has already paid the money back, so this must not fail
 * (a 500 here made every delivery of the webhook fail and left the refund pending forever).
 */
export async function restockRefunded(tx: Executor, tenantId: string, refunds: readonly Refund[]): Promise<RestockSkipped[]> {
  const lines = refunds.flatMap((r) => r.restock.map((l) => ({ refundId: r.id, orderId: r.orderId, sku: l.sku, quantity: l.quantity })));
  if (lines.length === 0) return [];
  const { rows } = await tx.query<{ refundId: string; orderId: string; productId: string; sku: string; quantity: number }>(
    `SELECT d.refund_id AS "refundId", d.order_id AS "orderId", i.product_id AS "productId", d.sku, d.q AS quantity
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[]) AS d(refund_id, order_id, sku, q)
     JOIN order_items i ON i.order_id = d.order_id AND i.sku = d.sku
     ORDER BY d.refund_id, d.sku`,
    [lines.map((l) => l.refundId), lines.map((l) => l.orderId), lines.map((l) => l.sku), lines.map((l) => l.quantity)],
  );
  if (rows.length === 0) return [];
  const productIds = [...new Set(rows.map((r) => r.productId))].sort();
  const { rows: stock } = await tx.query<{ id: string; onHand: number }>(
    `SELECT id, stock_on_hand AS "onHand" FROM products WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
    [productIds],
  );
  const onHand = new Map(stock.map((p) => [p.id, p.onHand]));
  const room = new Map(stock.map((p) => [p.id, STOCK_MAX - p.onHand]));
  const applied: typeof rows = [];
  const skipped: RestockSkipped[] = [];
  for (const r of rows) {
    const fits = Math.max(0, Math.min(r.quantity, room.get(r.productId) ?? 0));
    room.set(r.productId, (room.get(r.productId) ?? 0) - fits);
    if (fits > 0) applied.push({ ...r, quantity: fits });
    if (fits < r.quantity) {
      skipped.push({
        refundId: r.refundId,
        sku: r.sku,
        quantity: r.quantity - fits,
        reason: `${r.sku} had ${onHand.get(r.productId) ?? 0} on hand and stock holds at most ${STOCK_MAX} units`,
      });
    }
  }
  if (applied.length === 0) return skipped;
  const byProduct = new Map<string, number>();
  for (const r of applied) byProduct.set(r.productId, (byProduct.get(r.productId) ?? 0) + r.quantity);
  const ids = [...byProduct.keys()];
  await tx.query(
    `UPDATE products p SET stock_on_hand = p.stock_on_hand + d.q, updated_at = now()
     FROM unnest($1::uuid[], $2::int[]) AS d(id, q) WHERE p.id = d.id AND p.tenant_id = $3`,
    [ids, ids.map((id) => byProduct.get(id)!), tenantId],
  );
  await tx.query(
    `INSERT INTO inventory_adjustments (tenant_id, product_id, delta, kind, reason, order_id)
     SELECT $1, d.product_id, d.q, 'refund_restock', 'refund ' || d.refund_id, d.order_id
     FROM unnest($2::uuid[], $3::int[], $4::uuid[], $5::uuid[]) AS d(product_id, q, refund_id, order_id)`,
    [tenantId, applied.map((r) => r.productId), applied.map((r) => r.quantity), applied.map((r) => r.refundId), applied.map((r) => r.orderId)],
  );
  return skipped;
}

/**
 * Cancelled orders whose captured money is neither refunded nor pending and that the sweep has not
 * given up on: what it refunds. Only two paths leave such an order (payment.captured_late, found
 * through its partial index, and a declined refund), so only those orders are looked at.
 */
export async function cancelledOrdersOwed(ex: Executor, limit: number): Promise<{ tenantId: string; orderId: string }[]> {
  const { rows } = await ex.query<{ tenantId: string; orderId: string }>(
    `SELECT o.tenant_id AS "tenantId", o.id AS "orderId"
     FROM orders o
     JOIN payments p ON p.order_id = o.id AND p.tenant_id = o.tenant_id AND p.status = 'succeeded'
     WHERE o.id IN (SELECT order_id FROM order_events WHERE type = 'payment.captured_late'
                    UNION SELECT order_id FROM refunds WHERE status = 'failed')
       AND o.status = 'cancelled'
       AND p.amount > (SELECT COALESCE(sum(r.amount), 0) FROM refunds r WHERE r.order_id = o.id AND r.status <> 'failed')
       AND NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.type = 'refund.abandoned')
     ORDER BY o.id
     LIMIT $1`,
    [limit],
  );
  return rows;
}

/** Whether the sweep already gave up on this order (its `refund.abandoned` event). */
export async function refundAbandoned(ex: Executor, orderId: string): Promise<boolean> {
  const { rows } = await ex.query(`SELECT 1 FROM order_events WHERE order_id = $1 AND type = 'refund.abandoned' LIMIT 1`, [orderId]);
  return rows.length > 0;
}
