import type { Executor } from '../../platform/db/types.js';
import { ORDER_COLUMNS, type Order, type OrderItem } from './order.types.js';

export async function findOrder(ex: Executor, tenantId: string, id: string): Promise<Order | undefined> {
  const { rows } = await ex.query<Order>(`SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.tenant_id = $1 AND o.id = $2`, [tenantId, id]);
  return rows[0];
}

export async function findOrderByCode(ex: Executor, tenantId: string, code: string): Promise<Order | undefined> {
  const { rows } = await ex.query<Order>(`SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.tenant_id = $1 AND o.order_code = $2`, [
    tenantId,
    code,
  ]);
  return rows[0];
}

/**
 * Locks orders in id order. Every path that locks orders and then products does it this way
 * (orders by id, then products by id), so two transactions can never wait on each other in a cycle.
 * NO KEY UPDATE: status changes touch no key, and this lock must not conflict with the KEY SHARE
 * that inserting payments, items or reservations (foreign keys) takes on orders in any order.
 */
export async function lockOrders(tx: Executor, tenantId: string, ids: readonly string[], skipLocked = false): Promise<Order[]> {
  if (ids.length === 0) return [];
  const { rows } = await tx.query<Order>(
    `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[])
     ORDER BY o.id FOR NO KEY UPDATE${skipLocked ? ' SKIP LOCKED' : ''}`,
    [tenantId, ids],
  );
  return rows;
}

export async function findOrderItems(ex: Executor, orderId: string): Promise<OrderItem[]> {
  const { rows } = await ex.query<OrderItem>(
    `SELECT sku, name, quantity, unit_price AS "unitPrice", line_total AS "lineTotal" FROM order_items WHERE order_id = $1 ORDER BY id`,
    [orderId],
  );
  return rows;
}

export interface OrderEventRow {
  id: number;
  type: string;
  fromStatus: string | null;
  toStatus: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
}

export async function findOrderEvents(ex: Executor, orderId: string): Promise<OrderEventRow[]> {
  const { rows } = await ex.query<OrderEventRow>(
    `SELECT id, type, from_status AS "fromStatus", to_status AS "toStatus", data, created_at AS "createdAt"
     FROM order_events WHERE order_id = $1 ORDER BY id`,
    [orderId],
  );
  return rows;
}
