import type { Executor } from '../../platform/db/types.js';
import type { ImportView, OrderView } from './notification.templates.js';

/** What templates show, for a batch of notifications: four queries whatever the batch size. */
export async function loadViews(
  ex: Executor,
  tenantId: string,
  orderIds: readonly string[],
  importIds: readonly string[],
): Promise<{ tenantName: string; orders: Map<string, OrderView>; imports: Map<string, ImportView> }> {
  const tenant = await ex.query<{ name: string }>(`SELECT name FROM tenants WHERE id = $1`, [tenantId]);
  const orders = new Map<string, OrderView>();
  if (orderIds.length > 0) {
    const { rows } = await ex.query<Omit<OrderView, 'items'> & { id: string }>(
      `SELECT o.id, o.order_code AS "orderCode", o.status, o.currency, o.total, o.refunded_total AS "refundedTotal",
              o.failure_reason AS "failureReason", o.placed_at AS "placedAt", c.name AS "customerName", c.email AS "customerEmail"
       FROM orders o JOIN customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id
       WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[])`,
      [tenantId, orderIds],
    );
    for (const { id, ...o } of rows) orders.set(id, { ...o, items: [] });
    const items = await ex.query<{ orderId: string; sku: string; name: string; quantity: number; unitPrice: number; lineTotal: number }>(
      `SELECT order_id AS "orderId", sku, name, quantity, unit_price AS "unitPrice", line_total AS "lineTotal"
       FROM order_items WHERE tenant_id = $1 AND order_id = ANY($2::uuid[]) ORDER BY order_id, id`,
      [tenantId, orderIds],
    );
    for (const { orderId, ...item } of items.rows) orders.get(orderId)?.items.push(item);
  }
  const imports = new Map<string, ImportView>();
  if (importIds.length > 0) {
    const { rows } = await ex.query<ImportView>(
      `SELECT id, file_name AS "fileName", status, lines_read AS "linesRead", lines_accepted AS "linesAccepted",
              lines_rejected AS "linesRejected", orders_created AS "ordersCreated", orders_rejected AS "ordersRejected", error
       FROM imports WHERE tenant_id = $1 AND id = ANY($2::uuid[])`,
      [tenantId, importIds],
    );
    for (const r of rows) imports.set(r.id, r);
  }
  return { tenantName: tenant.rows[0]?.name ?? 'ordersys', orders, imports };
}
